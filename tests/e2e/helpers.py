"""Steps the browser tests share: screenshots, the axe pass, booking URLs."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page

SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
#: A phone (the UI brief's 390 px) and a laptop.
WIDTHS = (390, 1280)
#: What the UI brief forbids on the booking flow; anything milder is printed.
BLOCKING_IMPACTS = {"serious", "critical"}

_axe = Axe()


def shoot(page: Page, name: str) -> None:
    """Full-page PNGs of what ``page`` shows now, at each width, into screenshots/.

    The page is resized, not reloaded, so transient states (a dialog, an error) are kept.
    """
    SCREENSHOTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(
            path=SCREENSHOTS / f"{name}-{width}.png", full_page=True, animations="disabled"
        )
    if original:
        page.set_viewport_size(original)


def axe_violations(page: Page, name: str) -> list[dict]:
    """Run axe-core on the page; print every violation, return the serious and critical."""
    violations = _axe.run(page).response["violations"]
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"]]
        print(
            f"axe {name}: {violation['id']} ({violation['impact']}) {violation['help']}: {targets}"
        )
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def book_path(slot, service) -> str:
    return f"{reverse('portal:book')}?slot={slot.pk}&service={service.pk}"


def detail_path(reference: str) -> str:
    return reverse("portal:appointment-detail", args=[reference])
