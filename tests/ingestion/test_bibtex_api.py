"""/api/v1/bibtex-imports/: curators import files and follow their runs over HTTP."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.ingestion.bibtex.services import bibtex_import_start
from apps.ingestion.models import BibtexImport, IngestRun
from apps.papers.models import Paper
from tests.ingestion.test_bibtex_import import big_file, read

pytestmark = pytest.mark.django_db

URL = "/api/v1/bibtex-imports/"


@pytest.fixture
def api(curator) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(curator)
    return client


def bib(name: str = "malformed.bib", content: bytes | None = None) -> SimpleUploadedFile:
    data = read(name).encode() if content is None else content
    return SimpleUploadedFile(name, data, content_type="application/x-bibtex")


def test_a_curator_uploads_a_small_file_and_gets_every_entrys_outcome(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(URL, {"file": bib()}, format="multipart")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["filename"] == "malformed.bib"
    assert body["counts"] == {"seen": 8, "created": 5, "updated": 0, "unchanged": 0, "failed": 3}
    assert body["report"]["summary"] == "created=5 updated=0 unchanged=0 failed=3"
    assert body["report"]["entries"][1] == {
        "line": 6,
        "key": "missingcomma",
        "entry_type": "article",
        "action": "failed",
        "paper": None,
        "reason": "malformed entry: Expected comma after entry key, but found =",
    }
    assert body["failures"][0]["record"] == "line 6, key missingcomma"
    assert body["warnings"] == [
        "line 29: key good1 is already used on line 1",
        "line 34: @string block could not be parsed: Expected equals sign after field key, "
        'but found "',
    ]
    assert body["requested_by"] == "curator"
    assert Paper.objects.filter(status=Paper.Status.INBOX).count() == 5


def test_text_can_be_sent_as_json(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(URL, {"text": "@misc{k, title = {Sent as JSON}}"}, format="json")

    assert response.status_code == 201
    assert response.json()["report"]["summary"] == "created=1 updated=0 unchanged=0 failed=0"
    assert Paper.objects.get().title == "Sent as JSON"


def test_a_dry_run_reports_and_writes_nothing(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(URL, {"file": bib("dedupe.bib"), "dry_run": "true"}, format="multipart")

    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["summary"] == "created=2 updated=0 unchanged=2 failed=0"
    assert [e["action"] for e in body["entries"]] == [
        "created",
        "unchanged",
        "created",
        "unchanged",
    ]
    assert (Paper.objects.count(), BibtexImport.objects.count(), IngestRun.objects.count()) == (
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"file": bib(content=b"")}, "The submitted file is empty."),
        ({"file": bib(content=b"\x00\x01\x02")}, "This looks like a binary file"),
        ({"file": bib(content="@misc{k, title={\xe9}}".encode("latin-1"))}, "not UTF-8"),
        ({"file": bib(content=b"no entries")}, "No BibTeX entries found"),
        ({"text": "  "}, "The file is empty."),
        ({}, "Send a BibTeX file (`file`) or text (`text`)."),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_writes_nothing(api, payload, detail) -> None:  # type: ignore[no-untyped-def]
    response = api.post(URL, payload, format="multipart")

    assert response.status_code == 400
    assert detail in str(response.json())
    assert (Paper.objects.count(), BibtexImport.objects.count()) == (0, 0)


def test_an_oversized_file_is_a_413(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_MAX_BYTES = 100

    response = api.post(URL, {"file": bib("types.bib")}, format="multipart")

    assert response.status_code == 413
    assert "the limit is 100 bytes (BIBTEX_MAX_BYTES)" in response.json()["detail"]
    assert BibtexImport.objects.count() == 0


def test_a_large_file_is_accepted_and_imported_in_the_background(
    api, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_SYNC_MAX_ENTRIES = 3

    with django_capture_on_commit_callbacks(execute=True):  # the eager task runs at commit
        response = api.post(URL, {"file": bib(content=big_file(7))}, format="multipart")

    assert response.status_code == 202
    assert "report" not in response.json()
    location = response["Location"]
    assert location.endswith(f"{URL}{response.json()['id']}/")
    followed = api.get(location).json()
    assert followed["status"] == "succeeded"
    assert followed["counts"]["created"] == 7
    assert followed["total"] == 7
    assert Paper.objects.count() == 7


def test_only_curators_import(client) -> None:  # type: ignore[no-untyped-def]
    anonymous = APIClient().post(URL, {"file": bib()}, format="multipart")
    reader = get_user_model().objects.create_user("reader", password="reader-pass")
    logged_in = APIClient()
    logged_in.force_authenticate(reader)

    assert anonymous.status_code in (401, 403)
    assert logged_in.post(URL, {"file": bib()}, format="multipart").status_code == 403
    assert logged_in.get(URL).status_code == 403
    assert Paper.objects.count() == 0


def test_a_script_imports_with_a_curators_token(curator) -> None:  # type: ignore[no-untyped-def]
    token = Token.objects.create(user=curator)
    script = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = script.post(URL, {"text": "@misc{k, title = {By token}}"}, format="json")

    assert response.status_code == 201


def test_the_list_of_imports_takes_the_same_queries_for_5_or_50(api, curator) -> None:  # type: ignore[no-untyped-def]
    api.get(URL)  # the curator's permissions are fetched once, then cached on the user

    def queries_for(n: int) -> int:
        BibtexImport.objects.all().delete()
        for i in range(n):
            bibtex_import_start(
                data=f"@misc{{k{i}, title = {{Paper {i}}}}}".encode(), actor=curator
            )
        with CaptureQueriesContext(connection) as queries:
            response = api.get(URL)
        assert response.status_code == 200
        assert response.json()["count"] == n
        return len(queries)

    assert queries_for(5) == queries_for(50)


def test_the_schema_documents_the_endpoint(api) -> None:  # type: ignore[no-untyped-def]
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"][URL]["post"]
    assert {"200", "201", "202", "400", "403", "413"} <= set(operation["responses"])
    assert "multipart/form-data" in operation["requestBody"]["content"]
