from sims.models import Sim, GatewayRequest
from tests.web.test_pages import agent  # noqa

def test_bad_row(agent, world, make_sim):
    from sims import services
    from common.actors import Actor
    wide = "８９４４１０００００００００００００１"
    Sim.objects.create(iccid=wide, iccid_reversed=wide[::-1], state="unused")
    for url in ["/sims/", "/requests/", f"/sims/{wide}/", "/sims/?q=" + wide]:
        r = agent.get(url)
        print(url, r.status_code)
