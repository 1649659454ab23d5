"""The German translation: complete, compiled, current, and visible on the patient pages.

The catalogue checks read ``locale/de/LC_MESSAGES/django.po`` with a small parser (Django ships
none). Those that need GNU gettext (``msgfmt``, ``xgettext``) skip where it is not installed;
the committed ``.mo`` is what the site loads, so the page tests need no gettext at all.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.bookings import services
from tests.portal.conftest import verify
from tests.processes import PROJECT_ROOT

LOCALE_DIR = PROJECT_ROOT / "locale" / "de" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "de",
    "--ignore=.venv",
    "--ignore=tests",
    "--ignore=staticfiles",
    "--ignore=bench",
    "-e",
    "html,py,txt",
]

# How German dates read in the catalogue's "D., j. N, H:i" format: Django's German
# abbreviations, written out here so the tests do not trust the machinery they check.
DE_WEEKDAYS_ABBR = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
DE_WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
DE_MONTHS_AP = [
    "Jan.",
    "Feb.",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "Aug.",
    "Sept.",
    "Okt.",
    "Nov.",
    "Dez.",
]
needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext missing")


# --- Reading the catalogue ---------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$')


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header included (its msgid is ""); obsolete ones left out."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry, target = Entry(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif match := _KEYWORD.match(line):
                keyword, index, text = match.groups()
                text = _unquote(text)
                if keyword.startswith("msgstr"):
                    position = int(index or 0)
                    entry.msgstr.extend([""] * (position + 1 - len(entry.msgstr)))
                    target = ("msgstr", position)
                    entry.msgstr[position] = text
                else:
                    target = (keyword, None)
                    setattr(entry, keyword, text)
            elif line.startswith('"') and target is not None:
                text = _unquote(line.strip()[1:-1])
                if target[0] == "msgstr":
                    entry.msgstr[target[1]] += text
                else:
                    setattr(entry, target[0], getattr(entry, target[0]) + text)
        if target is not None:
            entries.append(entry)
    return entries


def placeholders(text: str) -> list[str]:
    """What must survive translation unchanged: %-placeholders, {{ }} and HTML tags."""
    return sorted(re.findall(r"%\(\w+\)[sd]|%%|\{\{.*?\}\}|<[^>]+>", text))


# --- The catalogue is complete ------------------------------------------------------------------


def test_the_german_catalogue_has_every_entry_translated_and_none_fuzzy():
    entries = read_po(PO_FILE)
    header, messages = entries[0], entries[1:]

    assert header.msgid == ""
    assert "Language: de\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr[0]
    assert len(messages) > 250  # the whole site, not a sample
    assert [e.msgid for e in messages if "fuzzy" in e.flags] == []
    assert [e.msgid for e in messages if not e.msgstr or not all(e.msgstr)] == []
    assert [e.msgid for e in messages if e.msgid_plural and len(e.msgstr) != 2] == []


def test_translations_keep_placeholders_and_markup():
    broken = [
        (e.msgid, text)
        for e in read_po(PO_FILE)[1:]
        for text in e.msgstr
        if placeholders(text) != placeholders(e.msgid_plural or e.msgid)
    ]

    assert broken == []


def test_the_patient_facing_date_format_is_the_german_one():
    with translation.override("de"):
        assert translation.gettext("D j M, H:i") == "D., j. N, H:i"
        # A no-break space keeps "09:30 Uhr" on one line.
        assert translation.gettext("%(when)s (%(city)s time)") == (
            "%(when)s\N{NO-BREAK SPACE}Uhr (Ortszeit %(city)s)"
        )


@needs_msgfmt
def test_msgfmt_finds_no_untranslated_or_fuzzy_messages():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "")},
    )

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages?\.\n", result.stderr), result.stderr


@needs_msgfmt
def test_the_committed_mo_file_is_compiled_from_the_current_po(tmp_path):
    """Compared as catalogues, not bytes: another msgfmt version may lay the file out
    differently, and that is no reason to recompile."""
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO_FILE)], check=True)

    with MO_FILE.open("rb") as committed, fresh.open("rb") as compiled:
        committed_catalog = gettext.GNUTranslations(committed)._catalog
        compiled_catalog = gettext.GNUTranslations(compiled)._catalog

    assert committed_catalog == compiled_catalog, "Run compilemessages -l de and commit the .mo"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext missing")
def test_the_catalogue_holds_exactly_the_strings_marked_in_the_code(tmp_path):
    """makemessages on a copy of the sources finds no string the catalogue lacks or no
    longer needs (line numbers may move freely)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in ("apps", "clinix", "templates", "locale"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name, ignore=ignore)
    shutil.copy(PROJECT_ROOT / "manage.py", tmp_path)
    # The embedded default settings: no database or broker is touched, only a scratch var dir.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "true",
        "CLINIX_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    current = {e.key for e in read_po(PO_FILE)}
    regenerated = {e.key for e in read_po(tmp_path / "locale/de/LC_MESSAGES/django.po")}
    assert sorted(regenerated - current, key=str) == [], "New strings: run makemessages -l de"
    assert sorted(current - regenerated, key=str) == [], "Unused strings: run makemessages -l de"


# --- The pages show it --------------------------------------------------------------------------


def german_time(value, clinic) -> str:
    """How clinic_time writes a moment in German: "Di., 3. März, 09:30 Uhr (Ortszeit Berlin)"."""
    local = value.astimezone(clinic.tz)
    day = DE_WEEKDAYS_ABBR[local.weekday()]
    month = DE_MONTHS_AP[local.month - 1]
    when = f"{day}., {local.day}. {month}, {local:%H:%M}"
    return f"{when}\N{NO-BREAK SPACE}Uhr (Ortszeit {clinic.tz_city})"


@pytest.fixture
def german_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


@pytest.fixture
def verified_patient(patient):
    return verify(patient)


@pytest.fixture
def german_patient_client(client, verified_patient):
    """A signed-in patient who switched to German with the footer's language picker.

    Signed in, the profile's language (English here) outranks a bare cookie; the picker sets
    the cookie and carries the choice into the session (PreferredLanguageMiddleware)."""
    client.force_login(verified_patient)
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    return client


def german_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    body = response.content.decode()
    assert '<html lang="de"' in body
    return body


@pytest.mark.django_db
def test_the_search_page_is_in_german(german_client, world):
    body = german_page(german_client, reverse("portal:home"))

    for text in (
        "Arzttermin buchen – ohne Warteschleife",
        "Fachgebiet, Leistung oder Name",
        "Nur mit freien Terminen",
        "Ärzt:innen mit freien Terminen",
        "Nächster freier Termin",
        "1 Treffer",
        "Konto erstellen",
        "Zum Hauptinhalt springen",
    ):
        assert text in body
    assert german_time(world.slots[0].starts_at, world.clinic) in body
    for english in ("Book a doctor", "Next free time", "Berlin time", "Sign in"):
        assert english not in body


@pytest.mark.django_db
def test_the_doctor_page_is_in_german_with_german_day_names(german_client, world):
    url = reverse("portal:doctor-detail", args=[world.doctor.slug])
    body = german_page(german_client, url)

    for text in ("Termin wählen", "Leistungen und Preise", "Tätig in", "30 Minuten", "Später"):
        assert text in body
    assert "Alle Uhrzeiten in Ortszeit Berlin (Europe/Berlin)." in body
    first_day = world.slots[0].starts_at.astimezone(world.clinic.tz)
    assert DE_WEEKDAYS[first_day.weekday()] in body  # the day heading: "Donnerstag 26 November"
    assert f"<span>{DE_WEEKDAYS_ABBR[first_day.weekday()]}</span>" in body  # its day tab
    for english in ("Choose a time", "Services and prices", "minutes", "Later"):
        assert english not in body


@pytest.mark.django_db
def test_the_booking_summary_is_in_german(german_patient_client, world):
    slot = world.slots[0]
    url = f"{reverse('portal:book')}?slot={slot.pk}&service={world.service.pk}"
    body = german_page(german_patient_client, url)

    for text in (
        "Termin prüfen und bestätigen",
        "Ärzt:in",
        "Leistung",
        "30 Minuten",
        "Zahlung in der Klinik",
        "Kostenlose Absage bis",
        "Möchten Sie vorab etwas mitteilen?",
        "Buchung bestätigen",
        "Meine Termine",
    ):
        assert text in body
    assert german_time(slot.starts_at, world.clinic) in body
    for english in ("Confirm booking", "Free cancellation", "pay at the clinic", "Berlin time"):
        assert english not in body


@pytest.mark.django_db
def test_my_appointments_are_in_german(german_patient_client, world, verified_patient):
    booking = services.booking_create(
        patient=verified_patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    body = german_page(german_patient_client, reverse("portal:appointment-list"))

    for text in (
        "Meine Termine",
        "Anstehende Termine",
        "Vergangene und abgesagte Termine",
        f"Buchung {booking.reference}",
        "Abmelden",
    ):
        assert text in body
    assert german_time(booking.starts_at, world.clinic) in body
    for english in ("Upcoming", "Past and cancelled", "Berlin time", "Sign out"):
        assert english not in body


@pytest.mark.django_db
def test_signed_in_the_profile_language_outranks_a_bare_cookie(client, verified_patient):
    """Why german_patient_client uses the picker: the profile says English."""
    client.force_login(verified_patient)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    response = client.get(reverse("portal:appointment-list"))

    assert response["Content-Language"] == "en"
    assert "My appointments" in response.content.decode()
