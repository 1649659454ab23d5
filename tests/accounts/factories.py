import factory
from allauth.account.models import EmailAddress

from apps.accounts.models import PatientProfile, User
from apps.accounts.roles import Role

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory)


class PatientFactory(UserFactory):
    profile = factory.RelatedFactory(PatientProfileFactory, factory_related_name="user")


class StaffUserFactory(UserFactory):
    role = Role.RECEPTIONIST
    is_staff = True


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """allauth's record of an address; verified and primary unless told otherwise."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory)
    email = factory.SelfAttribute("user.email")
    verified = True
    primary = True


class VerifiedPatientFactory(PatientFactory):
    """A patient who confirmed their email address: can sign in at /accounts/login/."""

    email_address = factory.RelatedFactory(EmailAddressFactory, factory_related_name="user")
