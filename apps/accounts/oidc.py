"""Single sign-on with any OpenID Connect provider (Keycloak, Entra ID, Auth0, ...).

mozilla-django-oidc asks the provider's userinfo endpoint who a token belongs to; this
backend maps those claims to a Clinix user by e-mail address.
"""

from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from apps.accounts import services
from apps.accounts.models import User


class ClinixOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims) -> bool:
        # A verified e-mail address is what ties the provider's person to ours.
        return bool(claims.get("email")) and claims.get("email_verified") is not False

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return User.objects.none()
        return User.objects.filter(email__iexact=email)

    def create_user(self, claims) -> User:
        """Someone new signs in through the provider: they become a patient."""
        if not claims.get("email_verified", False):
            raise SuspiciousOperation("The identity provider did not verify this e-mail address.")
        return services.oidc_user_create(
            email=claims["email"],
            first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""),
        )

    def update_user(self, user: User, claims) -> User:
        return user
