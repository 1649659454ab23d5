from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from apps.accounts.models import PatientProfile
from apps.accounts.roles import Role


class AccountAdapter(DefaultAccountAdapter):
    """Everyone who signs up on the site is a patient with a profile."""

    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.first_name = form.cleaned_data.get("first_name", "")
        user.last_name = form.cleaned_data.get("last_name", "")
        user.role = Role.PATIENT
        if commit:
            user.save()
            PatientProfile.objects.get_or_create(user=user)
        return user
