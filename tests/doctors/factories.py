import factory

from apps.accounts.roles import Role
from apps.doctors.models import Doctor, Specialty, SpokenLanguage
from tests.accounts.factories import UserFactory


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["slug"]

    name = "General practice"
    slug = "general-practice"


class SpokenLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpokenLanguage
        django_get_or_create = ["code"]

    code = "en"
    name = "English"


class DoctorFactory(factory.django.DjangoModelFactory):
    """A doctor. Pass ``services=[...]`` to say what they offer (and so where they work)."""

    class Meta:
        model = Doctor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.DOCTOR, is_staff=True)
    slug = factory.Sequence(lambda n: f"doctor-{n}")

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.services.set(extracted)

    @factory.post_generation
    def specialties(obj, create, extracted, **kwargs):
        if create:
            obj.specialties.set(extracted or [SpecialtyFactory()])
