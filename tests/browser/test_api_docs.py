"""The API's interactive docs in a real browser: served from our own static files (no CDN), drawn
under the Content Security Policy (the `page` fixture fails on anything it blocks), signed in only."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_draw_every_operation_for_a_signed_in_user(page: Page, live_server, staff, sign_in):
    page.goto(live_server.url + "/api/v1/docs")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/api/v1/docs")
    sign_in("agent")
    page.goto(live_server.url + "/api/v1/docs")
    for path in ("/api/v1/sims/{iccid}/activate", "/api/v1/requests/{request_id}", "/api/v1/batches"):
        expect(page.locator(f'.opblock-summary-path[data-path="{path}"]').first).to_be_visible()
