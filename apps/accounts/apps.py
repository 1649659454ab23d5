from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from apps.accounts.receivers import language_from_profile_on_login

        # Keep each role's group and permissions in step with the code after every migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="clinix.accounts.sync_roles")
        user_logged_in.connect(
            language_from_profile_on_login, dispatch_uid="clinix.accounts.language_on_login"
        )


def _sync_roles(sender, using="default", **kwargs) -> None:
    from apps.accounts.services import roles_sync

    roles_sync(using=using)
