"""Export formats of the paper list and detail: BibTeX, CSL-JSON and RIS.

They are streamed (`StreamingHttpResponse` over a chunked queryset iterator) by
`PaperViewSet`, never built in memory, so a 100,000-paper export holds one chunk at a time.
"""

from collections.abc import Iterable, Iterator

from rest_framework.renderers import BaseRenderer, JSONRenderer

from apps.papers.bibtex import write_bibtex
from apps.papers.csl import write_csl_json
from apps.papers.models import Paper
from apps.papers.ris import write_ris


class ExportRenderer(BaseRenderer):
    """A format that the view streams; `render` only ever sees error bodies (as JSON)."""

    is_export = True
    charset = "utf-8"
    extension = ""

    def stream(self, papers: Iterable[Paper]) -> Iterator[str]:
        raise NotImplementedError

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:  # type: ignore[no-untyped-def]
        return JSONRenderer().render(data)


class BibTeXRenderer(ExportRenderer):
    """BibTeX entries (`?format=bibtex` or `Accept: application/x-bibtex`)."""

    media_type = "application/x-bibtex"
    format = "bibtex"
    extension = "bib"

    def stream(self, papers: Iterable[Paper]) -> Iterator[str]:
        for entry in write_bibtex(papers):
            yield entry + "\n"


class CSLJSONRenderer(ExportRenderer):
    """A CSL-JSON array (`?format=csljson` or
    `Accept: application/vnd.citationstyles.csl+json`), as Zotero and pandoc read it."""

    media_type = "application/vnd.citationstyles.csl+json"
    format = "csljson"
    extension = "json"

    def stream(self, papers: Iterable[Paper]) -> Iterator[str]:
        return write_csl_json(papers)


class RISRenderer(ExportRenderer):
    """RIS records (`?format=ris` or `Accept: application/x-research-info-systems`), as
    EndNote, Zotero and Mendeley import them."""

    media_type = "application/x-research-info-systems"
    format = "ris"
    extension = "ris"

    def stream(self, papers: Iterable[Paper]) -> Iterator[str]:
        return write_ris(papers)
