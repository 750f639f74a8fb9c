"""The admin's BibTeX upload: preview (a dry run that writes nothing), confirm, and the
page of each import."""

import base64
import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.ingestion.bibtex.services import bibtex_import_start
from apps.ingestion.models import BibtexImport, IngestRun
from apps.papers.models import Author, Paper
from tests.ingestion.test_bibtex_import import big_file, read

pytestmark = pytest.mark.django_db

ADD = reverse("admin:ingestion_bibteximport_add")
LIST = reverse("admin:ingestion_bibteximport_changelist")


def upload(name: str = "malformed.bib", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, read(name).encode() if content is None else content)


def nothing_written() -> bool:
    return not (
        Paper.objects.exists()
        or Author.objects.exists()
        or BibtexImport.objects.exists()
        or IngestRun.objects.exists()
    )


def confirm_fields(page: str) -> dict[str, str]:
    fields = dict(
        re.findall(r'<input type="hidden" name="(data|sha256|filename)" value="([^"]*)"', page)
    )
    assert set(fields) == {"data", "sha256", "filename"}
    return fields


def test_the_upload_page_asks_for_a_file(curator_client: Client) -> None:
    response = curator_client.get(ADD)

    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert b"nothing is written until you confirm" in response.content


def test_the_preview_shows_what_would_happen_and_writes_nothing(curator_client: Client) -> None:
    response = curator_client.post(ADD, {"file": upload()})

    assert response.status_code == 200
    page = response.content.decode()
    assert "created=5 updated=0 unchanged=0 failed=3" in page
    assert "line 29: key good1 is already used on line 1" in page
    noted = re.search(r'<table id="bibtex-noted">(.*?)</table>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "<td>6</td><td>missingcomma</td><td>article</td><td>failed</td>" in noted
    assert "<td>15</td><td>notitle</td><td>article</td><td>failed</td><td>no title</td>" in noted
    assert noted.count('<tr class="bibtex-') == 5  # the entries that came with a reason
    every = re.search(r'<table id="bibtex-entries">(.*?)</table>', page, re.S).group(1)  # type: ignore[union-attr]
    assert every.count("<tr><td>") == 8
    assert nothing_written()


def test_confirming_imports_exactly_the_previewed_file(curator_client: Client, curator) -> None:  # type: ignore[no-untyped-def]
    preview = curator_client.post(ADD, {"file": upload()}).content.decode()

    response = curator_client.post(ADD, {"confirm": "1", **confirm_fields(preview)}, follow=True)

    bibtex_file = BibtexImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:ingestion_bibteximport_change", args=[bibtex_file.pk]
    )
    page = response.content.decode()
    assert "Imported malformed.bib: created=5 updated=0 unchanged=0 failed=3" in page
    assert "8 of 8 entries: created=5 updated=0 unchanged=0 failed=3" in page
    assert "malformed entry: Expected comma after entry key" in page
    assert bibtex_file.text == read("malformed.bib")
    assert bibtex_file.run.requested_by == curator
    assert Paper.objects.count() == 5
    download = curator_client.get(
        reverse("admin:ingestion_bibteximport_file", args=[bibtex_file.pk])
    )
    assert download.content.decode() == read("malformed.bib")
    assert download["Content-Disposition"] == 'attachment; filename="malformed.bib"'


def test_a_tampered_confirmation_is_refused(curator_client: Client) -> None:
    preview = curator_client.post(ADD, {"file": upload()}).content.decode()
    fields = confirm_fields(preview)
    fields["data"] = base64.b64encode(b"@misc{evil, title = {Not previewed}}").decode()

    response = curator_client.post(ADD, {"confirm": "1", **fields}, follow=True)

    assert b"did not come back intact" in response.content
    assert nothing_written()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00binary\x00", "This looks like a binary file"),
        ("@misc{k, title={\xe9}}".encode("latin-1"), "The file is not UTF-8"),
        (b"nothing here", "No BibTeX entries found"),
    ],
)
def test_a_bad_file_is_shown_as_a_form_error(curator_client: Client, content, message) -> None:  # type: ignore[no-untyped-def]
    response = curator_client.post(ADD, {"file": upload(content=content)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert nothing_written()


def test_an_oversized_file_is_refused_before_it_is_read(curator_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_MAX_BYTES = 100

    response = curator_client.post(ADD, {"file": upload("types.bib")})

    assert "the limit is 100 bytes" in response.content.decode()
    assert nothing_written()


def test_a_large_file_is_previewed_then_imported_in_the_background(
    curator_client: Client, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_SYNC_MAX_ENTRIES = 3
    preview = curator_client.post(ADD, {"file": upload("big.bib", big_file(6))}).content.decode()
    assert "created=6 updated=0 unchanged=0 failed=0" in preview
    assert "imports in the background" in preview

    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(ADD, {"confirm": "1", **confirm_fields(preview)})

    bibtex_file = BibtexImport.objects.get()
    assert response.status_code == 302
    bibtex_file.run.refresh_from_db()
    assert bibtex_file.run.status == IngestRun.Status.SUCCEEDED
    assert Paper.objects.count() == 6


def test_staff_without_the_import_permission_cannot_upload() -> None:
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"file": upload()}).status_code == 403
    assert nothing_written()


def test_the_list_of_imports_takes_the_same_queries_for_5_or_50(
    curator_client: Client, curator
) -> None:  # type: ignore[no-untyped-def]
    curator_client.get(LIST)

    def queries_for(n: int) -> int:
        BibtexImport.objects.all().delete()
        for i in range(n):
            bibtex_import_start(
                data=f"@misc{{k{i}, title = {{Paper {i}}}}}".encode(), actor=curator
            )
        with CaptureQueriesContext(connection) as queries:
            response = curator_client.get(LIST)
        assert response.status_code == 200
        assert response.content.count(b'class="field-filename"') == n
        return len(queries)

    assert queries_for(5) == queries_for(50)


def test_the_sha256_of_the_preview_is_the_files(curator_client: Client) -> None:
    preview = curator_client.post(ADD, {"file": upload()}).content.decode()

    fields = confirm_fields(preview)

    assert fields["sha256"] == hashlib.sha256(read("malformed.bib").encode()).hexdigest()
    assert base64.b64decode(fields["data"]) == read("malformed.bib").encode()
