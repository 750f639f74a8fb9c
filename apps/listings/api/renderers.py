"""Export formats of a listing: its frozen papers as BibTeX, RIS or CSL-JSON."""

from rest_framework.renderers import BaseRenderer, JSONRenderer


class ListingExportRenderer(BaseRenderer):
    """A format the view answers from the frozen entries; `render` only sees error bodies."""

    is_export = True  # the export throttle rate applies
    charset = "utf-8"
    extension = ""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:  # type: ignore[no-untyped-def]
        return JSONRenderer().render(data)


class ListingBibTeXRenderer(ListingExportRenderer):
    media_type = "application/x-bibtex"
    format = "bibtex"
    extension = "bib"


class ListingRISRenderer(ListingExportRenderer):
    media_type = "application/x-research-info-systems"
    format = "ris"
    extension = "ris"


class ListingCSLRenderer(ListingExportRenderer):
    media_type = "application/vnd.citationstyles.csl+json"
    format = "csljson"
    extension = "json"
