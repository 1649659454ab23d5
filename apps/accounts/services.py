"""Account writes: users, roles and the groups that carry each role's permissions, patients
who sign up on the website and the profile they keep."""

import hashlib
import secrets
import uuid
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.exceptions import EmailAlreadyUsed, PatientUnreachable
from apps.accounts.models import ApiToken, PatientProfile, User
from apps.accounts.roles import CLINIC_ROLES, ROLE_PERMISSIONS, Role, group_name
from apps.audit.services import audit_record, diff, snapshot

#: What a patient may change on their profile page, per row.
PROFILE_USER_FIELDS = ("first_name", "last_name")
PROFILE_FIELDS = ("date_of_birth", "sex", "phone", "preferred_language")


def roles_sync(*, using: str = "default") -> None:
    """Create or update one group per staff role with exactly its permissions.

    Idempotent; runs after every ``migrate``. Permissions of apps not installed yet are
    skipped and picked up on a later run.
    """
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name(role))
        group.permissions.set([by_name[p] for p in perms if p in by_name])


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.PATIENT,
    actor=None,
) -> User:
    """Create a user with ``role``; patients get a profile, staff get their role's group."""
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    user_set_role(user=user, role=role, actor=actor)
    if role == Role.PATIENT:
        PatientProfile.objects.create(user=user)
    audit_record(actor=actor, action="user.create", target=user, changes={"role": [None, role]})
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor=None) -> User:
    """Give ``user`` the role: back-office access and the role's group follow from it."""
    previous = user.role
    user.role = role
    user.is_staff = role in CLINIC_ROLES or role == Role.PLATFORM_ADMIN
    user.is_superuser = role == Role.PLATFORM_ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    role_groups = Group.objects.filter(name__in=[group_name(r) for r in ROLE_PERMISSIONS])
    user.groups.remove(*role_groups)
    if role in ROLE_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=group_name(role))
        user.groups.add(group)
    if previous != role:
        audit_record(
            actor=actor, action="user.set_role", target=user, changes={"role": [previous, role]}
        )
    return user


@transaction.atomic
def patient_register(
    *,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    preferred_language: str = settings.LANGUAGE_CODE,
) -> User:
    """Someone signed up on the website: always a patient, never staff, always with a profile.

    Called by the allauth adapter while allauth's sign-up form saves (in one transaction, see
    ``PatientSignupForm.save``); allauth then adds the unverified e-mail address and, after the
    commit, sends the verification mail. The person is the actor of their own audit entry.
    """
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        role=Role.PATIENT,
    )
    PatientProfile.objects.create(user=user, preferred_language=preferred_language)
    audit_record(
        actor=user,
        action="patient.register",
        target=user,
        changes={"role": [None, Role.PATIENT], "preferred_language": [None, preferred_language]},
    )
    return user


@transaction.atomic
def patient_profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    sex: str,
    phone: str,
    preferred_language: str,
    actor: User | None = None,
) -> PatientProfile:
    """Save a person's name and patient profile; audit what changed (nothing changed: no entry).

    Locks the profile row (``select_for_update``) so two saves in flight cannot interleave
    their before/after snapshots. Someone without a profile yet (staff who also want to book
    as a patient) gets one here: the one-to-one constraint makes a racing create fail loudly
    rather than produce two.
    """
    profile, created = PatientProfile.objects.select_for_update().get_or_create(user=user)
    profile.user = user  # The audit entry names the profile by its user: no second load.
    user_before = snapshot(user, PROFILE_USER_FIELDS)
    profile_before = {} if created else snapshot(profile, PROFILE_FIELDS)

    user.first_name, user.last_name = first_name, last_name
    profile.date_of_birth, profile.sex, profile.phone = date_of_birth, sex, phone
    profile.preferred_language = preferred_language

    changes = {
        **diff(user_before, snapshot(user, PROFILE_USER_FIELDS)),
        **diff(profile_before, snapshot(profile, PROFILE_FIELDS)),
    }
    if not changes:
        return profile
    user.save(update_fields=list(PROFILE_USER_FIELDS))
    profile.save()
    audit_record(
        actor=actor,
        action="patient_profile.create" if created else "patient_profile.update",
        target=profile,
        changes=changes,
    )
    return profile


#: Patients booked by phone without an e-mail address get a placeholder under the reserved
#: ``.invalid`` top-level domain (RFC 2606): User.email is required and unique, and nothing
#: can ever be delivered there. ``is_placeholder_email`` tells the senders to skip it.
PLACEHOLDER_EMAIL_DOMAIN = "no-email.clinix.invalid"


def is_placeholder_email(address: str) -> bool:
    """Whether ``address`` is a stand-in for a patient without e-mail (never send to it)."""
    return address.strip().lower().endswith(".invalid")


@transaction.atomic
def patient_create_by_staff(
    *,
    email: str,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    sex: str,
    phone: str,
    preferred_language: str,
    actor: User,
) -> User:
    """A receptionist books for someone who has no account: a patient with a profile and no
    usable password (they can set one later through "forgotten password" when they gave an
    e-mail address, which is recorded unverified, as at sign-up).

    Without an e-mail address the account gets a placeholder (``PLACEHOLDER_EMAIL_DOMAIN``)
    and a phone number is required instead. Raises PatientUnreachable (neither given) or
    EmailAlreadyUsed (checked first, and the unique index backs it up under a race).
    """
    email, phone = User.objects.normalize_email(email), phone.strip()
    if not email and not phone:
        raise PatientUnreachable()
    if email and User.objects.filter(email__iexact=email).exists():
        raise EmailAlreadyUsed()
    address = email or f"{uuid.uuid4().hex[:16]}@{PLACEHOLDER_EMAIL_DOMAIN}"
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=address,
                password=None,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                role=Role.PATIENT,
            )
    except IntegrityError as exc:
        raise EmailAlreadyUsed() from exc
    PatientProfile.objects.create(
        user=user,
        date_of_birth=date_of_birth,
        sex=sex,
        phone=phone,
        preferred_language=preferred_language,
    )
    if email:
        EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    audit_record(
        actor=actor,
        action="patient.create_by_staff",
        target=user,
        changes={
            "role": [None, Role.PATIENT],
            "email": [None, email or None],
            "phone": [None, phone],
        },
    )
    return user


# --- Personal API tokens ------------------------------------------------------------------

API_TOKEN_PREFIX = "clx_"  # noqa: S105 - a public marker, not a secret
#: How often at most a token's "last used" time is written (not on every request).
API_TOKEN_TOUCH_SECONDS = 60


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with its secret, which is never stored."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        key_hash=api_token_hash(secret),
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_record(
        actor=user, action="api_token.create", target=token, changes={"name": [None, token.name]}
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token at once (``actor`` None: a command). Revoking twice changes nothing."""
    now = timezone.now()
    # Compare-and-set: of two revocations at once, one records it.
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        audit_record(actor=actor, action="api_token.revoke", target=token)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The active user a token secret belongs to, or None. Marks the token used."""
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.usable(now)
        .select_related("user")
        .filter(key_hash=api_token_hash(secret), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(
        seconds=API_TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def oidc_user_create(*, email: str, first_name: str, last_name: str) -> User:
    """A person first seen through single sign-on: a patient whose e-mail address the
    identity provider has verified (so they can book at once)."""
    user = patient_register(email=email, password=None, first_name=first_name, last_name=last_name)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
