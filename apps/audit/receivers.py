"""Sign-ins, sign-outs and failed sign-ins on the record (Django's auth signals: the
password form, allauth, the admin and single sign-on all send them)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from apps.audit.services import audit_record


def _logged_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action="auth.login")


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout")


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in ``credentials``; keep only who was tried.
    tried = credentials.get("email") or credentials.get("username") or ""
    audit_record(
        actor=None, action="auth.login_failed", changes={"email": [None, str(tried)[:254]]}
    )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="clinix.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="clinix.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="clinix.audit.login_failed")
