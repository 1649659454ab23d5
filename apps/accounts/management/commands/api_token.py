"""Personal API tokens from the command line: for operators, scripts and first steps with
the API on a developer machine (patients and staff can also make their own at
/account/tokens/ or through POST /api/v1/me/tokens/)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.accounts import selectors, services
from apps.accounts.models import User
from apps.audit.context import system_job


class Command(BaseCommand):
    help = "Create, list or revoke a user's personal API tokens."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token; prints its secret once.")
        create.add_argument("email")
        create.add_argument("--name", default="command line")
        create.add_argument(
            "--expires-in-days", type=int, default=None, help="1 to 3650; none: never expires."
        )
        listing = actions.add_parser("list", help="A user's tokens (never their secrets).")
        listing.add_argument("email")
        revoke = actions.add_parser("revoke", help="Revoke one token of a user, by its id.")
        revoke.add_argument("email")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, action: str, email: str, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the e-mail address {email!r}.")
        with system_job("api_token"):
            getattr(self, f"_{action}")(user, **options)

    def _create(self, user: User, *, name: str, expires_in_days: int | None, **_options):
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise CommandError("--expires-in-days must be between 1 and 3650.")
        if not name.strip():
            raise CommandError("--name must not be blank.")
        token, secret = services.api_token_create(
            user=user, name=name, expires_in_days=expires_in_days
        )
        # Only the secret on stdout, so scripts can do TOKEN=$(manage.py api_token create …).
        self.stdout.write(secret)
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stderr.write(
            f"Token {token.pk} ({token.prefix}…) for {user.email}, expires {expiry}. "
            "The secret is shown only now."
        )

    def _list(self, user: User, **_options):
        now = timezone.now()
        tokens = selectors.api_token_list_for_user(user=user).order_by("created_at")
        if not tokens:
            self.stdout.write(f"{user.email} has no API tokens.")
        for token in tokens:
            if token.revoked_at:
                state = "revoked"
            elif token.expires_at and token.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{state}\t{token.name}\t"
                f"created {token.created_at:%Y-%m-%d}"
            )

    def _revoke(self, user: User, *, token_id: int, **_options):
        token = selectors.api_token_list_for_user(user=user).filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"{user.email} has no token {token_id}.")
        services.api_token_revoke(token=token, actor=None)
        self.stdout.write(f"Token {token.pk} ({token.prefix}…) is revoked.")
