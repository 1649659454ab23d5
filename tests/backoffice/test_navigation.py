"""The staff pages' navigation offers each role only the pages it may open."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

WALK_IN = reverse("backoffice:walk-in")
EMERGENCY = reverse("backoffice:emergency-block")
DASHBOARD = reverse("dashboard:index")


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("receptionist", {WALK_IN, EMERGENCY}),
        ("nurse", {WALK_IN}),
        ("clinic_manager", {WALK_IN, EMERGENCY, DASHBOARD}),
        ("doctor_user", set()),
        ("platform_admin", {WALK_IN, EMERGENCY, DASHBOARD}),
    ],
)
def test_each_role_is_offered_the_pages_it_may_open(request, client, world, persona, offered):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("backoffice:day-sheet")).content.decode()

    nav = page[page.index('class="backoffice-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert {url for url in (WALK_IN, EMERGENCY, DASHBOARD) if f'href="{url}"' in nav} == offered
    for url in offered:  # and what is offered opens
        assert client.get(url).status_code == 200
