import pytest

from tests.reviews.factories import completed_booking


@pytest.fixture
def visit(world, patient):
    """``patient``'s completed visit with the world's doctor, two days ago."""
    return completed_booking(doctor=world.doctor, clinic=world.clinic, patient=patient)
