"""A CSV of activations uploaded in the browser, previewed, confirmed, and its batch watched to the
end on its page, which redraws itself as the worker sends the rows and aql settles them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sims import tasks
from sims.models import GatewayRequest, Sim
from tests.conftest import IMEI, POOL, iccid

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_csv_of_activations_is_uploaded_previewed_confirmed_and_watched_to_the_end(page: Page, live_server, world,
                                                                                   staff, sign_in, tmp_path):
    rows = [f"{iccid(n)},{IMEI},{'next free' if n % 2 else ''},Customer {'ABCD'[n]},1 Park Row,LS1 5AB,07700 900123"
            for n in range(4)] + [f"{iccid(4)},{IMEI},{POOL[0]},R2D2,1 Park Row,LS1 5AB,07700 900123"]
    path = tmp_path / "march.csv"
    path.write_text("\ufeffICCID,IMEI,Number,Name,Address,Postcode,Contact\n" + "\n".join(rows) + "\n")
    sign_in("agent")
    page.goto(live_server.url + "/sims/")
    page.get_by_role("link", name="From a CSV file…").click()
    page.get_by_label("Activate SIMs").check()
    page.get_by_label("CSV file").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()

    expect(page.locator("h1")).to_have_text("Activate SIMs: march.csv")
    expect(page.locator("#preview-counts dt:text-is('Ready to activate') + dd")).to_have_text("4")
    expect(page.locator("table.preview td.has-error")).to_contain_text("Enter the subscriber's name in letters")
    page.get_by_role("button", name="Activate 4 SIMs").click()

    expect(page.locator(".messages, [role=status]").first).to_contain_text("The file's 4 ready rows are being queued")
    card = page.locator("#batch-card")
    expect(card).to_contain_text("Queueing the rows of march.csv: 0 so far of the 5 rows")
    page.evaluate("window.notReloaded = true")

    tasks.poll_pass()  # the worker queues the four and sends them...
    expect(card).to_contain_text("From march.csv: 5 rows, 1 of them left out", timeout=15_000)
    assert GatewayRequest.objects.filter(state="pending").count() == 4
    world.fake.advance(world.fake.faults.settle_after)  # ...and aql finishes them
    GatewayRequest.objects.filter(state="pending").update(next_poll_at=timezone.now() - timedelta(seconds=1))
    tasks.poll_pass()

    expect(card).to_contain_text("4 of 4 finished.", timeout=15_000)
    expect(card.locator("dt:text-is('Succeeded') + dd")).to_have_text("4")
    assert page.evaluate("window.notReloaded === true")  # redrawn in place
    assert Sim.objects.filter(state="active", subscriber__name__startswith="Customer").count() == 4
