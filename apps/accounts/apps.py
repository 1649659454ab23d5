from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Keep each role's group and permissions in step with the code after every migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="clinix.accounts.sync_roles")


def _sync_roles(sender, using="default", **kwargs) -> None:
    from apps.accounts.services import roles_sync

    roles_sync(using=using)
