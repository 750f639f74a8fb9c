"""Request bodies are capped: over DATA_UPLOAD_MAX_MEMORY_SIZE anything is a 413 naming the
limit (JSON for the API, text elsewhere), never a 500, and nothing is written. BibTeX files over
BIBTEX_MAX_BYTES get their own message (tests/ingestion/test_bibtex_api.py, _admin.py)."""

import base64
import hashlib
import json

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.core.api.tokens import api_token_issue
from apps.ingestion.models import BibtexImport
from apps.papers.models import Paper
from apps.taxonomy.models import Phase
from tests.core.routes import row_counts

pytestmark = pytest.mark.django_db

LIMIT = 2000
BIG_BIB = b"@misc{big, title={" + b"x" * 3000 + b"}, year={2024}}"


@pytest.fixture
def small_limit(settings):  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.BIBTEX_MAX_BYTES = 10 * LIMIT  # the body cap, not the BibTeX one, must answer


@pytest.fixture
def api(curator) -> Client:  # type: ignore[no-untyped-def]
    token, _ = api_token_issue(user=curator)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def confirm_fields(data: bytes) -> dict:
    return {
        "confirm": "1",
        "data": base64.b64encode(data).decode("ascii"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "filename": "big.bib",
    }


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/papers/", {"json": {"title": "x" * 3000}}),
        ("/api/v1/ingest/", {"json": {"arxiv_ids": ["2401.00001"] * 300}}),
        ("/api/v1/bibtex-imports/", {"multipart": {"file": BIG_BIB}}),
        ("/api/v1/bibtex-imports/", {"multipart": {"text": BIG_BIB.decode()}}),
    ],
)
def test_an_oversized_api_request_is_a_413_that_writes_nothing(
    small_limit, api: Client, url: str, body: dict
) -> None:  # type: ignore[no-untyped-def]
    before = row_counts()
    if "json" in body:
        response = api.post(url, json.dumps(body["json"]), content_type="application/json")
    else:
        fields = {
            k: SimpleUploadedFile("big.bib", v) if isinstance(v, bytes) else v
            for k, v in body["multipart"].items()
        }
        response = api.post(url, fields)

    assert response.status_code == 413
    assert f"the limit is {LIMIT} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)" in response.json()["detail"]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/admin/ingestion/bibteximport/add/", {"file": SimpleUploadedFile("big.bib", BIG_BIB)}),
        ("/admin/ingestion/bibteximport/add/", confirm_fields(BIG_BIB)),
        ("/admin/taxonomy/phase/add/", {"slug": "big", "order": 9, "name": "x" * 3000}),
        ("/admin/ingestion/ingestrun/add-arxiv-ids/", {"ids": "2401.00001 " * 300}),
    ],
)
def test_an_oversized_admin_form_is_a_413_that_writes_nothing(
    small_limit, curator_client: Client, url: str, fields: dict
) -> None:  # type: ignore[no-untyped-def]
    before = row_counts()

    response = curator_client.post(url, fields)

    assert response.status_code == 413
    assert f"the limit is {LIMIT} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)" in response.content.decode()
    assert row_counts() == before
    assert not BibtexImport.objects.exists()
    assert not Phase.objects.filter(slug="big").exists()


def test_a_body_just_under_the_limit_goes_through(small_limit, api: Client) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"title": "Short enough"})
    assert len(body) < LIMIT

    response = api.post("/api/v1/papers/", body, content_type="application/json")

    assert response.status_code == 201
    assert Paper.objects.filter(title="Short enough").exists()


def test_a_bibtex_file_at_its_cap_fits_the_body_cap_in_the_admins_confirm_step() -> None:
    """The admin preview posts the file back as base64 (4/3 larger) with a few small fields;
    with the default settings that still fits under the request body cap."""
    confirm_body = django_settings.BIBTEX_MAX_BYTES * 4 / 3 + 64 * 1024

    assert confirm_body <= django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
