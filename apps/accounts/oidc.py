"""Single sign-on with any OpenID Connect provider (Keycloak, Entra ID, Auth0, ...).

mozilla-django-oidc asks the provider's userinfo endpoint who a token belongs to; this
backend maps those claims to a Clinix user by e-mail address.
"""

from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from apps.accounts import services
from apps.accounts.models import User


def email_verified(claims) -> bool:
    """Whether the provider vouches for the e-mail address.

    Only a true ``email_verified`` counts: some providers send it as the string "true" or
    "false" (and "false" is truthy in Python), some leave it out, and an address nobody
    verified must neither open an existing account nor create a verified one.
    """
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class ClinixOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims) -> bool:
        # A verified e-mail address is what ties the provider's person to ours: matching an
        # existing account (staff included) on an address the provider did not verify would
        # let anyone who can type that address at the provider take the account over.
        return bool((claims.get("email") or "").strip()) and email_verified(claims)

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return User.objects.none()
        return User.objects.filter(email__iexact=email)

    def create_user(self, claims) -> User:
        """Someone new signs in through the provider: they become a patient."""
        if not email_verified(claims):
            raise SuspiciousOperation("The identity provider did not verify this e-mail address.")
        try:
            return services.oidc_user_create(
                email=claims["email"],
                first_name=(claims.get("given_name") or "")[:150],
                last_name=(claims.get("family_name") or "")[:150],
            )
        except IntegrityError:
            # A client's first requests often arrive together: each found no user, and the
            # other one created it first. That account is theirs.
            user = self.filter_users_by_claims(claims).first()
            if user is None:
                raise
            return user

    def update_user(self, user: User, claims) -> User:
        return user
