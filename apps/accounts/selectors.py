"""Account reads. Each takes the person asking about themselves; none leaks another's data."""

from allauth.account.models import EmailAddress
from django.db.models import QuerySet

from apps.accounts.models import ApiToken, PatientProfile, User


def user_has_verified_email(user: User) -> bool:
    """Whether ``user`` has confirmed an e-mail address (one query; none for anonymous).

    The booking pages ask this before a first booking: confirmations and reminders must reach
    a mailbox the patient has shown they own.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return EmailAddress.objects.filter(user_id=user.pk, verified=True).exists()


def patient_profile_get(*, user: User) -> PatientProfile | None:
    """The patient profile of ``user``, or None (staff who never saved one)."""
    return PatientProfile.objects.filter(user_id=user.pk).first()


def patient_preferred_language(*, user: User) -> str | None:
    """The language ``user`` chose in their patient profile, or None without a profile."""
    return (
        PatientProfile.objects.filter(user_id=user.pk)
        .values_list("preferred_language", flat=True)
        .first()
    )


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, revoked ones included (they show as revoked)."""
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken | None:
    """One of ``user``'s own tokens, or None: another person's token looks like a missing one."""
    return api_token_list_for_user(user=user).filter(pk=token_id).first()
