"""A listing's exports, from its frozen entries only: BibTeX, RIS, CSL-JSON, and the BibTeX
entry that cites the listing itself."""

import json
from collections.abc import Iterable

from apps.core.bibliography.codec import text_to_latex
from apps.listings.models import Listing, ListingEntry
from apps.listings.snapshot import write_ris

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def listing_bibtex(entries: Iterable[ListingEntry]) -> str:
    return "\n".join(entry.bibtex for entry in entries)


def listing_ris(entries: Iterable[ListingEntry]) -> str:
    return write_ris((entry.record, entry.citation_key) for entry in entries)


def listing_csl_json(entries: Iterable[ListingEntry]) -> str:
    items = [json.dumps(entry.csl, ensure_ascii=False) for entry in entries]
    return "[" + ("\n" + ",\n".join(items) + "\n" if items else "") + "]\n"


def cite_key(listing: Listing) -> str:
    return "sellm-" + listing.slug


def cite_bibtex(listing: Listing, url: str) -> str:
    """ "Cite this listing": a BibTeX @misc with the URL, the version and the date frozen."""
    frozen = listing.frozen_at
    day = frozen.date().isoformat()
    papers = f"{listing.paper_count} paper{'s' if listing.paper_count != 1 else ''}"
    fields = [
        ("title", "{" + text_to_latex(listing.title) + "}"),
        ("author", "{sellm}"),
        ("howpublished", "Listing of the sellm knowledge base"),
        ("version", str(listing.version)),
        ("date", day),
        ("year", str(frozen.year)),
        ("month", MONTHS[frozen.month - 1]),
        ("url", url),
        ("urldate", day),
        ("note", f"Version {listing.version}, frozen on {day}; {papers}"),
    ]
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    return f"@misc{{{cite_key(listing)},\n{body}\n}}\n"
