"""Freezes of the same list at the same moment (PostgreSQL, real concurrent transactions):
versions stay consecutive and unique; a loser is told to try again (409), never a 500."""

import threading

import pytest
from django.db import connection

from apps.core.exceptions import ApplicationError
from apps.listings.models import Listing
from apps.listings.services import listing_freeze
from tests.factories import PaperFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def freeze_at_once(count: int) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = []

    def freeze() -> None:
        barrier.wait()
        try:
            results.append(listing_freeze(title="Same list", query="year=2024").version)
        except ApplicationError as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=freeze) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_freezes_make_consecutive_versions_or_a_clear_conflict() -> None:
    PaperFactory.create_batch(5, year=2024)
    listing_freeze(title="Same list", query="year=2024")  # version 1 exists: later ones lock it

    results = freeze_at_once(4)

    versions = sorted(r for r in results if isinstance(r, int))
    conflicts = [r for r in results if isinstance(r, ApplicationError)]
    assert len(versions) + len(conflicts) == 4
    assert versions == list(range(2, 2 + len(versions)))
    assert all(getattr(c, "status_code", None) == 409 for c in conflicts)
    stored = sorted(Listing.objects.values_list("version", flat=True))
    assert stored == list(range(1, len(stored) + 1))


def test_concurrent_first_freezes_leave_one_version_one() -> None:
    PaperFactory.create_batch(3, year=2024)

    results = freeze_at_once(3)

    assert 1 in results
    stored = sorted(Listing.objects.values_list("version", flat=True))
    assert stored == list(range(1, len(stored) + 1))
    assert all(isinstance(r, int) or getattr(r, "status_code", None) == 409 for r in results)
