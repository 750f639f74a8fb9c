"""Match incoming paper records against the knowledge base and write them, many at a time.

Every source (arXiv API and OAI-PMH pages, BibTeX files, the survey seed) ends here, so the
matching rules live in one place:

1. a record matches a paper by versionless arXiv id, else by DOI, else by folded title with
   the same year and first author's family name — so a preprint and its published version
   become one paper, and duplicates within one batch merge into the first;
2. a record with a newer arXiv version than the paper's rewrites the machine-owned fields; an
   older version changes nothing; any other match only fills fields the paper lacks, so
   re-running a load changes nothing (two exceptions: a venue's DOI replaces arXiv's DOI of
   the preprint, and a newer seed file rewrites the papers the seed itself wrote and arXiv
   has not refreshed since — `rewrite_own`);
3. fields named in `curator_edited_fields` are never written ("authors" guards the author
   list, "categories" the categories);
4. a record that cannot be written is reported (label and reason) and the others still land.

Writes are set-based — a few queries per batch whatever its size — because harvests and
imports move tens of thousands of records.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, cast

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

from apps.core.actors import Actor
from apps.core.bibliography.names import family_key
from apps.core.bulk import create_objects, create_rows, insert_rows
from apps.core.fields import FoldedKeyField
from apps.core.history import history_snapshot
from apps.core.text import collapse_whitespace
from apps.papers import limits
from apps.papers.bibtex import generated_key, keys_taken, unique_key
from apps.papers.identifiers import is_arxiv_doi, normalize_doi, parse_arxiv_id
from apps.papers.models import Author, Authorship, Category, Paper
from apps.papers.records import AuthorRecord, PaperRecord, VersionRecord

logger = logging.getLogger(__name__)

Action = Literal["created", "updated", "unchanged", "failed"]
ACTIONS: tuple[Action, ...] = ("created", "updated", "unchanged", "failed")

# Fields a newer arXiv version rewrites, and any other record may fill when empty.
MACHINE_FIELDS = (
    "title",
    "abstract",
    "doi",
    "published_at",
    "revised_at",
    "year",
    "primary_category",
    "journal_ref",
    "venue",
    "kind",
    "code_url",
    "curator_note",
    "comment",
    "license",
    "bibtex_type",
)
# Pseudo-fields a curator can lock in `curator_edited_fields`.
AUTHORS = "authors"
CATEGORIES = "categories"

AUTHOR_SEPARATOR = "; "


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return field.max_length


TEXT_LIMITS = {
    name: _max_length(Paper, name)
    for name in ("venue", "code_url", "license", "primary_category", "bibtex_key", "bibtex_type")
}
# The long texts, checked after whitespace is collapsed (apps/papers/limits.py).
LONG_TEXT_LIMITS = {
    "title": limits.TITLE,
    "abstract": limits.ABSTRACT,
    "journal_ref": limits.JOURNAL_REF,
    "comment": limits.COMMENT,
}
AUTHOR_NAME_LIMIT = _max_length(Author, "name")
AFFILIATION_LIMIT = _max_length(Authorship, "affiliation")
CATEGORY_LIMIT = _max_length(Category, "code")
_TITLE_KEY = cast(FoldedKeyField, Paper._meta.get_field("title_key"))
_NAME_KEY = cast(FoldedKeyField, Author._meta.get_field("name_key"))


@dataclass(slots=True)
class UpsertOutcome:
    """What happened to one record: the paper it became and how, or why it failed."""

    label: str
    action: Action
    paper_id: int | None = None
    reason: str = ""


@dataclass(slots=True)
class UpsertReport:
    """Outcomes of one batch, in the order the records came."""

    outcomes: list[UpsertOutcome] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ACTIONS}

    @property
    def created_paper_ids(self) -> list[int]:
        return [o.paper_id for o in self.outcomes if o.action == "created" and o.paper_id]

    def summary(self) -> str:
        """The one-line summary every import command ends with."""
        return " ".join(f"{action}={n}" for action, n in self.counts.items())


def title_key(title: str) -> str:
    """The folded title that dedupe matches on: what `Paper.title_key` derives on every write."""
    return _TITLE_KEY.key_for(title)


@lru_cache(maxsize=65536)
def author_key(name: str) -> str:
    """Folded full name: the key authors are matched on (what `Author.name_key` derives)."""
    return _NAME_KEY.key_for(name)


class RecordError(ValueError):
    """A record that cannot become a paper; the message says why."""


def _clean(record: PaperRecord) -> PaperRecord:
    """Validate a record and normalise its identifiers and text; raise RecordError if bad."""
    record.title = collapse_whitespace(record.title or "")
    if not record.title:
        raise RecordError("no title")
    if not title_key(record.title):
        raise RecordError(f"title {record.title!r} has no letters or digits")
    if record.arxiv_id is not None:
        parsed = parse_arxiv_id(record.arxiv_id)
        if parsed is None:
            raise RecordError(f"malformed arXiv id {record.arxiv_id!r}")
        record.arxiv_id = parsed[0]
        if len(record.arxiv_id) > 32:
            raise RecordError(f"malformed arXiv id {record.arxiv_id[:40]!r}")
        record.arxiv_version = record.arxiv_version or parsed[1]
    if record.arxiv_version is not None:
        if record.arxiv_id is None:
            raise RecordError("an arXiv version without an arXiv id")
        if not 1 <= record.arxiv_version <= 1000:
            raise RecordError(f"implausible arXiv version {record.arxiv_version}")
    if record.doi:
        doi = normalize_doi(record.doi)
        if doi is None:
            raise RecordError(f"malformed DOI {record.doi!r}")
        if len(doi) > 255:
            raise RecordError("DOI longer than 255 characters")
        record.doi = doi
    else:
        record.doi = None
    if record.year is None and record.published_at is not None:
        record.year = record.published_at.year
    if record.year is not None and not 1800 <= record.year <= 2200:
        raise RecordError(f"implausible year {record.year}")
    if record.kind and record.kind not in Paper.Kind.values:
        raise RecordError(f"unknown kind {record.kind!r}")
    if record.code_url and not record.code_url.startswith(("https://", "http://")):
        raise RecordError(f"code link {record.code_url!r} is not an http(s) URL")
    for name in ("abstract", "journal_ref", "comment", "curator_note"):
        setattr(record, name, collapse_whitespace(getattr(record, name) or ""))
    for name, limit in TEXT_LIMITS.items():
        value = collapse_whitespace(getattr(record, name) or "")
        if len(value) > limit:
            raise RecordError(f"{name} longer than {limit} characters")
        setattr(record, name, value)
    for name, limit in LONG_TEXT_LIMITS.items():
        _check_size(name, len(getattr(record, name)), limit, "characters")
    _check_size("authors", len(record.authors), limits.AUTHORS, "authors")
    _check_size("categories", len(record.categories), limits.CATEGORIES, "categories")
    _check_size("other BibTeX fields", len(record.bibtex_fields), limits.BIBTEX_FIELDS, "fields")
    for key, value in record.bibtex_fields.items():
        _check_size(f"BibTeX field {key[:40]}", len(str(value)), limits.BIBTEX_FIELD, "characters")
    authors = []
    for author in record.authors:
        name = collapse_whitespace(author.name)
        if not author_key(name):
            continue  # "and others", stray punctuation
        if len(name) > AUTHOR_NAME_LIMIT:
            raise RecordError(f"author name longer than {AUTHOR_NAME_LIMIT} characters")
        authors.append(
            AuthorRecord(name, collapse_whitespace(author.affiliation)[:AFFILIATION_LIMIT])
        )
    record.authors = authors
    categories = []
    for code in record.categories:
        code = code.strip()
        if code and code not in categories:
            if len(code) > CATEGORY_LIMIT:
                raise RecordError(f"category {code[:50]!r} too long")
            categories.append(code)
    record.categories = categories
    return record


def _check_size(name: str, size: int, limit: int | None, unit: str) -> None:
    if limit is not None and size > limit:
        raise RecordError(f"{name}: {size:,} {unit}; the limit is {limit:,} {unit}")


@dataclass(slots=True, eq=False)
class _Plan:
    """A paper this batch will create or change, with what to write beside its row."""

    paper: Paper
    is_new: bool
    changed_fields: set[str] = field(default_factory=set)
    authors: list[AuthorRecord] | None = None  # replacement author list, if any
    categories: list[str] | None = None  # replacement categories, if any
    first_author_key: str = ""
    label: str = ""  # the first record that named this paper in the batch


class _Index:
    """Papers this batch can match, by each key, filled from the database then from the
    batch's own new papers (so duplicates inside one file merge)."""

    def __init__(self) -> None:
        self.by_arxiv: dict[str, _Plan] = {}
        self.by_doi: dict[str, _Plan] = {}
        self.by_title: dict[str, list[_Plan]] = defaultdict(list)
        self.bibtex_keys: dict[str, _Plan | None] = {}  # key → plan (None: taken in the base)

    def add(self, plan: _Plan) -> None:
        paper = plan.paper
        if paper.arxiv_id:
            self.by_arxiv[paper.arxiv_id] = plan
        if paper.doi:
            self.by_doi[paper.doi] = plan
        if plan not in self.by_title[paper.title_key]:
            self.by_title[paper.title_key].append(plan)
        if paper.bibtex_key:
            self.bibtex_keys[paper.bibtex_key] = plan

    def match(self, record: PaperRecord) -> _Plan | None:
        if record.arxiv_id and record.arxiv_id in self.by_arxiv:
            return self.by_arxiv[record.arxiv_id]
        if record.doi and record.doi in self.by_doi:
            return self.by_doi[record.doi]
        first = family_key(record.authors[0].name) if record.authors else ""
        for plan in self.by_title.get(title_key(record.title), ()):
            same_year = record.year is None or plan.paper.year in (None, record.year)
            same_author = not first or plan.first_author_key in ("", first)
            arxiv_compatible = not (
                record.arxiv_id and plan.paper.arxiv_id and plan.paper.arxiv_id != record.arxiv_id
            )
            doi_compatible = not (record.doi and plan.paper.doi and plan.paper.doi != record.doi)
            if same_year and same_author and arxiv_compatible and doi_compatible:
                return plan
        return None


def paper_upsert_many(
    *,
    records: Iterable[PaperRecord],
    source: str,
    status: str = Paper.Status.INBOX,
    actor: Actor = None,
    rewrite_own: bool = False,
) -> UpsertReport:
    """Create or update one paper per record; return each record's outcome in order.

    New papers get `source` and `status`. With `rewrite_own`, a matched paper that this same
    source created and arXiv never refreshed is rewritten like a newer version would (a newer
    seed file corrects what an older one said); curator edits still win. Safe to call twice
    with the same records: the second call reports every record unchanged. One transaction
    per batch. If the database refuses the batch (a concurrent writer created the same paper
    first, or a record slipped past validation), it is retried once, then record by record so
    that only the bad record fails.
    """
    records = list(records)
    refusal = ""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _upsert_batch(
                    records, source=source, status=status, actor=actor, rewrite_own=rewrite_own
                )
        except DatabaseError as error:
            refusal = str(error).strip()
            logger.warning(
                "upsert batch of %d refused (attempt %d): %s", len(records), attempt, error
            )
    if len(records) == 1:
        return UpsertReport(
            [UpsertOutcome(records[0].label, "failed", reason=f"database refused it: {refusal}")]
        )
    report = UpsertReport()
    for record in records:
        report.outcomes += paper_upsert_many(
            records=[record], source=source, status=status, actor=actor, rewrite_own=rewrite_own
        ).outcomes
    return report


def paper_upsert(
    *, record: PaperRecord, source: str, status: str = Paper.Status.INBOX
) -> UpsertOutcome:
    """Create or update one paper; see `paper_upsert_many`."""
    return paper_upsert_many(records=[record], source=source, status=status).outcomes[0]


def _upsert_batch(
    records: Sequence[PaperRecord],
    *,
    source: str,
    status: str,
    actor: Actor,
    rewrite_own: bool = False,
) -> UpsertReport:
    outcomes: list[UpsertOutcome] = []
    cleaned: list[PaperRecord | None] = []
    for record in records:
        try:
            cleaned.append(_clean(record))
            outcomes.append(UpsertOutcome(label=record.label, action="unchanged"))
        except RecordError as error:
            cleaned.append(None)
            outcomes.append(UpsertOutcome(label=record.label, action="failed", reason=str(error)))

    index = _load_index([r for r in cleaned if r is not None])
    plans: dict[int, _Plan] = {}  # id(plan) → plan, in creation order
    outcome_plans: list[_Plan | None] = []
    now = timezone.now()

    for maybe, outcome in zip(cleaned, outcomes, strict=True):
        if maybe is None:
            outcome_plans.append(None)
            continue
        record = maybe
        plan = index.match(record)
        notes = []
        if plan is None:
            plan = _new_plan(record, source=source, status=status, now=now)
            outcome.action = "created"
        else:
            conflict = _conflict(plan, record, index)
            if conflict:
                outcome.action, outcome.reason = "failed", conflict
                outcome_plans.append(None)
                continue
            rewrite = (
                rewrite_own
                and not plan.is_new
                and plan.paper.source == source
                and plan.paper.arxiv_version is None
            )
            changed = _merge(plan, record, rewrite=rewrite)
            if plan.is_new:
                notes.append(f"same paper as {plan.label or 'an earlier record'} in this batch")
            elif changed:
                outcome.action = "updated"
        key_changed, key_note = _claim_bibtex_key(plan, record, index)
        if key_changed and not plan.is_new:
            outcome.action = "updated"
        notes.append(key_note)
        outcome.reason = "; ".join(n for n in notes if n)
        plan.label = plan.label or record.label
        index.add(plan)
        plans[id(plan)] = plan
        outcome_plans.append(plan)

    claimed = {key for key, holder in index.bibtex_keys.items() if holder is not None}
    _write(list(plans.values()), claimed=claimed, actor=actor)
    for outcome, plan in zip(outcomes, outcome_plans, strict=True):
        if plan is not None:
            outcome.paper_id = plan.paper.pk
    return UpsertReport(outcomes)


def _load_index(records: list[PaperRecord]) -> _Index:
    """Fetch (and lock, on PostgreSQL) every stored paper the records could match."""
    arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
    dois = {r.doi for r in records if r.doi}
    titles = {title_key(r.title) for r in records}
    keys = {r.bibtex_key for r in records if r.bibtex_key}
    index = _Index()
    candidates: dict[int, Paper] = {}
    for lookup, values in (
        ("arxiv_id__in", arxiv_ids),
        ("doi__in", dois),
        ("title_key__in", titles),
    ):
        for chunk in _chunks(sorted(values)):
            for paper in Paper.objects.select_for_update().filter(**{lookup: chunk}):
                candidates[paper.pk] = paper
    for paper in candidates.values():
        names = paper.author_names.split(AUTHOR_SEPARATOR) if paper.author_names else []
        index.add(
            _Plan(paper, is_new=False, first_author_key=family_key(names[0]) if names else "")
        )
    for chunk in _chunks(sorted(keys - set(index.bibtex_keys))):
        for key in Paper.objects.filter(bibtex_key__in=chunk).values_list("bibtex_key", flat=True):
            index.bibtex_keys.setdefault(key, None)
    return index


def _chunks(values: list[str], size: int = 900) -> Iterable[list[str]]:
    """Split an IN list; SQLite caps the number of parameters in one statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _new_plan(record: PaperRecord, *, source: str, status: str, now) -> _Plan:
    paper = Paper(
        arxiv_id=record.arxiv_id,
        arxiv_version=record.arxiv_version,
        arxiv_versions=_merge_versions([], record),
        source=source,
        status=status,
        included_at=now if status == Paper.Status.INCLUDED else None,
        bibtex_fields=dict(record.bibtex_fields),
        title_key=title_key(record.title),
    )
    for name in MACHINE_FIELDS:
        setattr(paper, name, getattr(record, name))
    paper.author_names = AUTHOR_SEPARATOR.join(a.name for a in record.authors)
    return _Plan(
        paper,
        is_new=True,
        authors=list(record.authors),
        categories=list(record.categories),
        first_author_key=family_key(record.authors[0].name) if record.authors else "",
    )


def _conflict(plan: _Plan, record: PaperRecord, index: _Index) -> str:
    """Why this record cannot be merged into the paper it matched ("" when it can)."""
    paper = plan.paper
    if record.doi and (not paper.doi or _better_doi("doi", paper, record.doi)):
        owner = index.by_doi.get(record.doi)
        if owner is not None and owner is not plan:
            return f"DOI {record.doi} belongs to another paper ({_describe(owner.paper)})"
    if record.arxiv_id and not paper.arxiv_id:
        owner = index.by_arxiv.get(record.arxiv_id)
        if owner is not None and owner is not plan:
            return f"arXiv id {record.arxiv_id} belongs to another paper ({_describe(owner.paper)})"
    return ""


def _describe(paper: Paper) -> str:
    return f"paper #{paper.pk}" if paper.pk else f"{paper.title[:60]!r} earlier in this batch"


def _merge(plan: _Plan, record: PaperRecord, *, rewrite: bool = False) -> bool:
    """Apply the record to a matched paper by the rules in the module docstring
    (`rewrite`: the record speaks for the paper as a newer version would)."""
    paper = plan.paper
    locked = set(paper.curator_edited_fields)
    if record.arxiv_version and paper.arxiv_version and record.arxiv_version < paper.arxiv_version:
        return False  # an older version of what we have: nothing to learn from it
    newer = record.arxiv_version is not None and (
        paper.arxiv_version is None or record.arxiv_version > paper.arxiv_version
    )
    primary_before = paper.primary_category
    changed: set[str] = set()

    def put(name: str, value: object) -> None:
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed.add(name)

    if record.arxiv_id and not paper.arxiv_id:
        put("arxiv_id", record.arxiv_id)
    if newer:
        put("arxiv_version", record.arxiv_version)
    versions = _merge_versions(paper.arxiv_versions, record)
    if versions != paper.arxiv_versions:
        put("arxiv_versions", versions)
    for name in MACHINE_FIELDS:
        value = getattr(record, name)
        if name in locked or value in (None, ""):
            continue
        if (
            newer
            or rewrite
            or getattr(paper, name) in (None, "")
            or _better_doi(name, paper, value)
        ):
            put(name, value)
    if "title" in changed:
        put("title_key", title_key(paper.title))
    for key, value in record.bibtex_fields.items():
        if key not in paper.bibtex_fields:
            paper.bibtex_fields = {**paper.bibtex_fields, key: value}
            changed.add("bibtex_fields")

    current = paper.author_names.split(AUTHOR_SEPARATOR) if paper.author_names else []
    replace = rewrite or _should_replace_authors(current, record, newer)
    if AUTHORS not in locked and record.authors and replace:
        names = AUTHOR_SEPARATOR.join(a.name for a in record.authors)
        if names != paper.author_names or newer:
            plan.authors = list(record.authors)
            put("author_names", names)
            plan.first_author_key = family_key(record.authors[0].name)
    if CATEGORIES not in locked and record.categories:
        if newer:
            plan.categories = list(record.categories)
        elif not plan.is_new and (
            not primary_before or (rewrite and primary_before != record.categories[0])
        ):
            # A paper without categories gains them (cheap test: categories come with a
            # primary one); the seed corrects its own.
            plan.categories = list(record.categories)
        elif plan.is_new:  # a duplicate inside the batch adds what the first record lacked
            known = plan.categories or []
            plan.categories = known + [c for c in record.categories if c not in known]
    plan.changed_fields |= changed
    return bool(changed)


def _better_doi(name: str, paper: Paper, value: object) -> bool:
    """A venue's DOI replaces arXiv's DOI of the preprint (both name the same paper)."""
    return name == "doi" and is_arxiv_doi(paper.doi) and not is_arxiv_doi(str(value))


def _should_replace_authors(current: list[str], record: PaperRecord, newer: bool) -> bool:
    """A newer version's list replaces; otherwise only a longer list with the same first
    author (the seed knows only first authors) completes what the paper has."""
    if newer or not current:
        return True
    return len(record.authors) > len(current) and family_key(current[0]) == family_key(
        record.authors[0].name
    )


def _merge_versions(existing: list[dict], record: PaperRecord) -> list[dict]:
    """Union of known versions (by number), oldest first; a known date is never lost."""
    by_number = {int(v["version"]): v.get("date") for v in existing}
    incoming = list(record.arxiv_versions)
    if record.arxiv_version and not any(v.version == record.arxiv_version for v in incoming):
        incoming.append(_version_of(record))
    for version in incoming:
        date = version.submitted_at.isoformat() if version.submitted_at else None
        if by_number.get(version.version) is None:
            by_number[version.version] = date
    return [{"version": n, "date": by_number[n]} for n in sorted(by_number)]


def _version_of(record: PaperRecord) -> VersionRecord:
    return VersionRecord(record.arxiv_version or 1, record.revised_at)


def _claim_bibtex_key(plan: _Plan, record: PaperRecord, index: _Index) -> tuple[bool, str]:
    """Give the paper the record's citation key if it has none and the key is free.

    Returns (whether the key was set, a note for the report when it could not be).
    """
    key = record.bibtex_key
    paper = plan.paper
    if not key or paper.bibtex_key == key:
        return False, ""
    if paper.bibtex_key:
        return False, f"citation key {key!r} not taken: the paper is cited as {paper.bibtex_key!r}"
    if index.bibtex_keys.get(key, plan) is not plan:
        return False, f"citation key {key!r} is used by another paper; this one gets its own"
    paper.bibtex_key = key
    plan.changed_fields.add("bibtex_key")
    index.bibtex_keys[key] = plan
    return True, ""


def _write(plans: list[_Plan], *, claimed: set[str], actor: Actor) -> None:
    """Persist the batch: papers (with history), then authors, authorships and categories.

    `claimed` holds the citation keys this batch's papers already took from their records."""
    new = [p.paper for p in plans if p.is_new]
    changed = [p for p in plans if not p.is_new and p.changed_fields]
    _assign_citation_keys([paper for paper in new if not paper.bibtex_key], claimed)
    if new:
        create_objects(Paper, new)
        history_snapshot(Paper, [paper.pk for paper in new], history_type="+", user=actor)
    if changed:
        fields = sorted(set().union(*(p.changed_fields for p in changed)) | {"updated_at"})
        now = timezone.now()
        for plan in changed:
            plan.paper.updated_at = now
        Paper.objects.bulk_update([p.paper for p in changed], fields, batch_size=500)
        history_snapshot(Paper, [p.paper.pk for p in changed], history_type="~", user=actor)
    _write_authorships([p for p in plans if p.authors is not None], actor=actor)
    _write_categories([p for p in plans if p.categories is not None])


def _assign_citation_keys(papers: list[Paper], claimed: set[str]) -> None:
    """Give new papers without a key of their own a stored one, unique across the base
    (author + year + first title word, a letter suffix when taken), so every export cites a
    paper the same way. A key a concurrent writer takes first fails the batch's insert, which
    is then retried (see `paper_upsert_many`)."""
    if not papers:
        return
    stems = [(paper, generated_key(paper)) for paper in papers]  # unsaved: not hashable
    taken = keys_taken({stem for _, stem in stems}) | claimed
    for paper, stem in stems:
        paper.bibtex_key = unique_key(stem, taken)
        taken.add(paper.bibtex_key)


def _write_authorships(plans: list[_Plan], *, actor: Actor) -> None:
    if not plans:
        return
    names: dict[str, str] = {}
    for plan in plans:
        for author in plan.authors or ():
            names.setdefault(author_key(author.name), author.name)
    authors = author_ids_get_or_create(names, actor=actor)
    Authorship.objects.filter(paper__in=[p.paper for p in plans if not p.is_new]).delete()
    rows = []
    for plan in plans:
        seen: set[str] = set()
        for position, record in enumerate(plan.authors or ()):
            key = author_key(record.name)
            if key in seen:  # the same person listed twice keeps the first place
                continue
            seen.add(key)
            rows.append((plan.paper.pk, authors[key], position, record.affiliation))
    insert_rows(Authorship, ("paper_id", "author_id", "position", "affiliation"), rows)


def author_ids_get_or_create(names: dict[str, str], *, actor: Actor = None) -> dict[str, int]:
    """Author ids by folded key, creating the missing authors (display name from `names`),
    each new one with its "+" history row (by `actor`; None: a machine).

    One query for the keys that exist, one insert for the rest (`create_rows`: COPY on
    PostgreSQL, no model instances): a real library brings about three new people per entry,
    so this is a large share of an import. Safe under concurrency: if another writer
    inserted one of the keys first, the insert is undone (savepoint), the rows that now
    exist are fetched, and the rest inserted again.
    """
    found: dict[str, int] = {}

    def fetch(keys: list[str]) -> None:
        for chunk in _chunks(keys):
            found.update(Author.objects.filter(name_key__in=chunk).values_list("name_key", "pk"))

    fetch(sorted(names))
    for attempt in range(3):
        missing = [k for k in sorted(names) if k not in found]
        if not missing:
            break
        try:
            with transaction.atomic():
                ids = create_rows(Author, [{"name": names[k]} for k in missing])
        except IntegrityError:
            if attempt == 2:
                raise  # the batch fails and is retried whole (paper_upsert_many)
            fetch(missing)
            continue
        found.update(zip(missing, ids, strict=True))
        history_snapshot(Author, ids, history_type="+", user=actor)
        break
    return found


def _write_categories(plans: list[_Plan]) -> None:
    if not plans:
        return
    codes = sorted({code for plan in plans for code in plan.categories or ()})
    Category.objects.bulk_create(
        [Category(code=code) for code in codes], batch_size=1000, ignore_conflicts=True
    )
    through = Paper.categories.through
    through.objects.filter(paper__in=[p.paper for p in plans if not p.is_new]).delete()
    insert_rows(
        through,
        ("paper_id", "category_id"),
        [(plan.paper.pk, code) for plan in plans for code in plan.categories or ()],
    )
