"""The bell, the notifications page and the channel preferences, as a person sees them."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import PatientProfile
from apps.audit.models import AuditEntry
from apps.notifications.exceptions import SmsNeedsPhone
from apps.notifications.models import Notification, NotificationPreference

LIST = reverse("notifications:list")
BELL = reverse("notifications:bell")
READ_ALL = reverse("notifications:read-all")
PREFERENCES = reverse("notifications:preferences")
HTMX = {"HX-Request": "true"}


def note(user, title="Your appointment is confirmed", *, read=False, url="/appointments/"):
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user,
        kind="booking.confirmed",
        title=title,
        body="Tue 3 Mar, 09:30 Berlin time",
        url=url,
        read_at=timezone.now() if read else None,
    )


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


# --- The bell ---------------------------------------------------------------------------------


def test_the_bell_fragment_says_how_many_are_unread(signed_in, patient, other_patient):
    note(patient)
    note(patient, "Second")
    note(patient, "Old", read=True)
    note(other_patient)

    response = signed_in.get(BELL, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Notifications, 2 unread"' in page
    assert 'class="bell__count" aria-hidden="true">2<' in page
    assert 'data-unread="2"' in page
    assert f'href="{LIST}"' in page


def test_the_bell_without_unread_messages_has_no_count(signed_in):
    page = signed_in.get(BELL, headers=HTMX).content.decode()

    assert 'aria-label="Notifications"' in page
    assert "bell__count" not in page


def test_the_bell_shows_99_plus_for_very_many(signed_in, patient):
    Notification.objects.bulk_create(
        Notification(recipient=patient, kind="k", title=f"n{i}") for i in range(120)
    )

    page = signed_in.get(BELL, headers=HTMX).content.decode()

    assert ">99+<" in page
    assert "120 unread" in page


def test_the_bell_costs_one_query_besides_the_session(
    signed_in, patient, django_assert_max_num_queries
):
    for number in range(5):
        note(patient, f"n{number}")

    with django_assert_max_num_queries(3):  # the session, the user, the count
        signed_in.get(BELL, headers=HTMX)


def test_a_signed_out_bell_stops_polling_instead_of_showing_the_sign_in_page(client):
    response = client.get(BELL, headers=HTMX)

    assert response.status_code == 286
    assert response.content == b""


def test_every_page_has_the_bell_for_signed_in_people_without_counting(signed_in, patient):
    note(patient)

    page = signed_in.get(reverse("portal:home")).content.decode()

    assert 'id="notification-bell"' in page
    assert f'hx-get="{BELL}"' in page
    assert 'hx-trigger="load, every 30s, notifications-changed from:body"' in page
    assert "unread" not in page  # the count comes from the fragment, not every page


def test_visitors_have_no_bell(client, db):
    assert 'id="notification-bell"' not in client.get(reverse("portal:home")).content.decode()


def test_staff_see_the_bell_on_the_patient_site_too(client, receptionist):
    note(receptionist, "New booking: Ada Lovelace")
    client.force_login(receptionist)

    assert 'id="notification-bell"' in client.get(reverse("portal:home")).content.decode()
    assert "1 unread" in client.get(BELL, headers=HTMX).content.decode()


def test_the_back_office_header_has_the_bell(client, platform_admin):
    client.force_login(platform_admin)

    page = client.get(reverse("admin:index")).content.decode()

    assert 'id="notification-bell"' in page
    assert f'hx-get="{BELL}"' in page
    assert "htmx" in page
    assert reverse("admin:logout") in page  # Django's own user links are still there


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_only_the_persons_own_notifications_newest_first(
    signed_in, patient, other_patient
):
    note(patient, "First for me")
    note(patient, "Second for me")
    note(other_patient, "Not for me")

    response = signed_in.get(LIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Not for me" not in page
    assert page.index("Second for me") < page.index("First for me")


def test_unread_ones_are_highlighted_with_a_word_not_only_colour(signed_in, patient):
    unread = note(patient, "Unread one")
    read = note(patient, "Read one", read=True)

    page = signed_in.get(LIST).content.decode()

    assert f'class="notification notification--unread" id="notification-{unread.pk}"' in page
    assert f'class="notification" id="notification-{read.pk}"' in page
    assert page.count("badge--new") == 1
    assert "New" in page


def test_the_list_is_paginated(signed_in, patient):
    for number in range(25):
        note(patient, f"Message {number:02d}")

    first = signed_in.get(LIST).content.decode()
    second = signed_in.get(LIST, {"page": 2}).content.decode()

    assert "Message 24" in first
    assert "Message 04" not in first
    assert "Message 04" in second
    assert "Page 2 of 2" in second


def test_the_list_costs_the_same_few_queries_however_many(
    signed_in, patient, django_assert_max_num_queries
):
    for number in range(30):
        note(patient, f"n{number}")

    with django_assert_max_num_queries(4):  # the session, the user, the count, the page
        response = signed_in.get(LIST)

    assert response.content.decode().count('class="notification ') == 20


def test_the_empty_list_says_what_will_appear_here(signed_in):
    page = signed_in.get(LIST).content.decode()

    assert "No notifications yet" in page
    assert "Mark all as read" not in page


def test_the_list_needs_a_sign_in(client, db):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# --- Marking read -----------------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(signed_in, patient):
    notification = note(patient, url="/appointments/ABC123/")

    response = signed_in.post(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response.url == "/appointments/ABC123/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_never_redirects_off_site(signed_in, patient):
    notification = note(patient, url="https://evil.example/")

    response = signed_in.post(reverse("notifications:open", args=[notification.pk]))

    assert response.url == LIST


def test_marking_one_read_with_htmx_answers_the_item_and_tells_the_bell(signed_in, patient):
    notification = note(patient, "Confirmed")
    other = note(patient, "Still unread")

    response = signed_in.post(reverse("notifications:read", args=[notification.pk]), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    page = response.content.decode()
    assert f'id="notification-{notification.pk}"' in page
    assert "notification--unread" not in page
    assert "<html" not in page
    notification.refresh_from_db()
    other.refresh_from_db()
    assert notification.read_at is not None
    assert other.read_at is None


def test_marking_read_keeps_the_first_read_time(signed_in, patient):
    notification = note(patient, read=True)
    first = notification.read_at

    signed_in.post(reverse("notifications:read", args=[notification.pk]))

    notification.refresh_from_db()
    assert notification.read_at == first


def test_marking_read_without_javascript_goes_back_to_the_same_page(signed_in, patient):
    notification = note(patient)

    response = signed_in.post(reverse("notifications:read", args=[notification.pk]), {"page": "2"})

    assert response.status_code == 302
    assert response.url == f"{LIST}?page=2"


def test_mark_all_as_read_touches_only_the_persons_own(signed_in, patient, other_patient):
    mine = [note(patient), note(patient)]
    theirs = note(other_patient)

    response = signed_in.post(READ_ALL, follow=True)

    assert "All notifications are marked as read." in response.content.decode()
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read_with_htmx_answers_the_list_and_tells_the_bell(signed_in, patient):
    note(patient)

    response = signed_in.post(READ_ALL, headers=HTMX)

    assert response["HX-Trigger"] == "notifications-changed"
    page = response.content.decode()
    assert "All notifications are marked as read." in page
    assert "notification--unread" not in page
    assert "<html" not in page


@pytest.mark.parametrize("name", ["notifications:read", "notifications:open"])
def test_someone_elses_notification_is_not_found(signed_in, other_patient, name):
    theirs = note(other_patient)

    response = signed_in.post(reverse(name, args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(signed_in, patient):
    notification = note(patient)

    assert signed_in.get(reverse("notifications:read", args=[notification.pk])).status_code == 405
    assert signed_in.get(READ_ALL).status_code == 405


@pytest.mark.parametrize("name", ["read", "open", "read-all"])
def test_marking_read_needs_the_csrf_token(patient, name):
    notification = note(patient)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient)
    url = (
        READ_ALL if name == "read-all" else reverse(f"notifications:{name}", args=[notification.pk])
    )

    response = browser.post(url)

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


# --- Preferences ------------------------------------------------------------------------------


def with_phone(user, phone="+49 30 1234 5678"):
    PatientProfile.objects.filter(user=user).update(phone=phone)
    return user


def test_preferences_start_with_email_on_and_text_messages_off(signed_in):
    response = signed_in.get(PREFERENCES)

    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial == {"email": True, "sms": False}
    assert 'aria-current="page"' in response.content.decode()


def test_without_a_phone_number_text_messages_are_off_and_the_page_says_why(signed_in):
    page = signed_in.get(PREFERENCES).content.decode()

    assert 'name="sms"' in page
    assert "disabled" in page
    assert "You need a phone number in your profile first." in page
    assert f'href="{reverse("accounts:profile")}"' in page


def test_saving_preferences_stores_them_and_confirms(signed_in, patient):
    with_phone(patient)

    response = signed_in.post(PREFERENCES, {"sms": "on"}, follow=True)

    assert "Your notification settings have been saved." in response.content.decode()
    preference = NotificationPreference.objects.get(user=patient)
    assert (preference.email, preference.sms) == (False, True)
    entry = AuditEntry.objects.get(action="notifications.preferences")
    assert entry.changes == {"email": [None, False], "sms": [None, True]}
    assert signed_in.get(PREFERENCES).context["form"].initial == {"email": False, "sms": True}


def test_saving_the_same_choice_again_writes_no_audit_entry(signed_in, patient):
    signed_in.post(PREFERENCES, {"email": "on"})
    signed_in.post(PREFERENCES, {"email": "on"})

    assert AuditEntry.objects.filter(action="notifications.preferences").count() == 1


def test_text_messages_without_a_phone_number_are_refused_with_a_field_error(signed_in, patient):
    response = signed_in.post(PREFERENCES, {"email": "on", "sms": "on"})

    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert str(SmsNeedsPhone.message) in page
    assert 'href="#id_sms"' in page
    assert not NotificationPreference.objects.filter(user=patient).exists()


def test_preferences_need_the_csrf_token(patient):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient)

    assert browser.post(PREFERENCES, {"email": "on"}).status_code == 403


def test_the_account_menu_links_to_the_preferences(signed_in):
    page = signed_in.get(reverse("accounts:profile")).content.decode()

    assert f'href="{PREFERENCES}"' in page


def test_the_preferences_page_costs_few_queries(signed_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # the session, the user, the profile, the preference
        signed_in.get(PREFERENCES)
