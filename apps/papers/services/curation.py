"""Curators' decisions about papers: include, exclude, edit, and placements in the taxonomy."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.core.actors import Actor, user_of
from apps.core.bulk import create_rows
from apps.core.exceptions import ApplicationError
from apps.core.history import history_snapshot, history_user_set
from apps.core.services import curated_save
from apps.core.text import collapse_whitespace
from apps.papers.models import Authorship, Category, Paper, Placement
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.services.upsert import (
    AUTHOR_SEPARATOR,
    AUTHORS,
    CATEGORIES,
    author_ids_get_or_create,
    author_key,
    paper_upsert_many,
    title_key,
)
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from apps.taxonomy.services import taxonomy_item_update

Target = Phase | Challenge | ResearchDirection


@transaction.atomic
def paper_include(*, papers: Iterable[Paper], actor: Actor = None) -> int:
    """Make papers public. Returns how many changed; already included papers keep their
    inclusion date, so calling twice changes nothing."""
    now = timezone.now()
    changed = []
    for paper in papers:
        if paper.status == Paper.Status.INCLUDED:
            continue
        paper.status = Paper.Status.INCLUDED
        paper.status_reason = ""
        paper.included_at = now
        paper.updated_at = now
        changed.append(paper)
    if changed:
        Paper.objects.bulk_update(changed, ["status", "status_reason", "included_at", "updated_at"])
        history_snapshot(Paper, [row.pk for row in changed], history_type="~", user=actor)
    return len(changed)


@transaction.atomic
def paper_exclude(*, papers: Iterable[Paper], reason: str, actor: Actor = None) -> int:
    """Hide papers from the public, recording why. Returns how many changed."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the papers are excluded.")
    now = timezone.now()
    changed = []
    for paper in papers:
        if paper.status == Paper.Status.EXCLUDED and paper.status_reason == reason:
            continue
        paper.status = Paper.Status.EXCLUDED
        paper.status_reason = reason
        paper.included_at = None
        paper.updated_at = now
        changed.append(paper)
    if changed:
        Paper.objects.bulk_update(changed, ["status", "status_reason", "included_at", "updated_at"])
        history_snapshot(Paper, [row.pk for row in changed], history_type="~", user=actor)
    return len(changed)


@transaction.atomic
def paper_update(*, paper: Paper, data: dict, actor: Actor = None) -> Paper:
    """Apply a curator's edit; the edited fields are protected from later ingestion."""
    changed = [name for name, value in data.items() if getattr(paper, name) != value]
    for name in changed:
        setattr(paper, name, data[name])
    if "title" in changed:
        paper.title_key = title_key(paper.title)
    if changed:
        history_user_set(paper, actor)
        curated_save(instance=paper, changed_fields=changed)
    return paper


@transaction.atomic
def paper_authors_edited(*, paper: Paper, actor: Actor = None) -> Paper:
    """Record that a curator changed a paper's author list: refresh the denormalised names
    (search, history) and protect the list from ingestion."""
    names = [a.author.name for a in paper.authorships.select_related("author").order_by("position")]
    paper.author_names = AUTHOR_SEPARATOR.join(names)
    history_user_set(paper, actor)
    curated_save(instance=paper, changed_fields=[AUTHORS])
    return paper


def _target_fields(target: Target) -> dict:
    if isinstance(target, ResearchDirection):
        return {"phase_id": target.phase_id, "challenge": None, "direction": target}
    if isinstance(target, Challenge):
        return {"phase_id": target.phase_id, "challenge": target, "direction": None}
    if isinstance(target, Phase):
        return {"phase_id": target.pk, "challenge": None, "direction": None}
    raise TypeError(f"cannot place a paper into {type(target).__name__}")


def _placement_lookup(paper: Paper, target: Target) -> dict:
    fields = _target_fields(target)
    if fields["direction"] is not None:
        return {"paper": paper, "direction": fields["direction"]}
    if fields["challenge"] is not None:
        return {"paper": paper, "challenge": fields["challenge"]}
    return {"paper": paper, "phase_id": fields["phase_id"], "challenge": None, "direction": None}


@transaction.atomic
def placement_place(
    *,
    paper: Paper,
    target: Target,
    actor: Actor,
    evidence: str = "",
) -> tuple[Placement, bool]:
    """A curator places a paper: the placement exists and is accepted afterwards.

    An existing placement (say, a suggestion) is accepted rather than duplicated and keeps its
    origin. Returns (placement, changed); calling twice changes nothing the second time.
    """
    placement = (
        Placement.objects.select_for_update().filter(**_placement_lookup(paper, target)).first()
    )
    now = timezone.now()
    if placement is None:
        placement = Placement(
            paper=paper,
            origin=Placement.Origin.CURATOR,
            evidence=evidence,
            review_state=Placement.ReviewState.ACCEPTED,
            reviewed_by=user_of(actor),
            reviewed_at=now,
            **_target_fields(target),
        )
        history_user_set(placement, actor)
        placement.full_clean()
        placement.save()
        return placement, True
    if placement.review_state == Placement.ReviewState.ACCEPTED and not evidence:
        return placement, False
    placement.review_state = Placement.ReviewState.ACCEPTED
    placement.reviewed_by = user_of(actor)
    placement.reviewed_at = now
    if evidence:
        placement.evidence = evidence
    history_user_set(placement, actor)
    placement.save()
    return placement, True


@transaction.atomic
def placement_add(
    *,
    paper: Paper,
    target: Target,
    origin: str,
    confidence: float | None = None,
    evidence: str = "",
    accepted: bool | None = None,
) -> tuple[Placement, bool]:
    """A machine (survey seed, suggestion service) proposes a placement.

    Survey placements start accepted, suggestions pending (unless `accepted` says). An
    existing placement for the same target — whatever a curator decided about it — is left
    alone. Returns (placement, created).
    """
    existing = Placement.objects.filter(**_placement_lookup(paper, target)).first()
    if existing is not None:
        return existing, False
    accepted = origin == Placement.Origin.SURVEY if accepted is None else accepted
    placement = Placement(
        paper=paper,
        origin=origin,
        confidence=confidence,
        evidence=evidence,
        review_state=Placement.ReviewState.ACCEPTED if accepted else Placement.ReviewState.PENDING,
        reviewed_at=timezone.now() if accepted else None,
        **_target_fields(target),
    )
    placement.full_clean()
    placement.save()
    return placement, True


@transaction.atomic
def placement_review(*, placements: Iterable[Placement], accept: bool, actor: Actor) -> int:
    """Accept or reject placements (typically suggestions). Returns how many changed."""
    state = Placement.ReviewState.ACCEPTED if accept else Placement.ReviewState.REJECTED
    now = timezone.now()
    changed = []
    for placement in placements:
        if placement.review_state == state:
            continue
        placement.review_state = state
        placement.reviewed_by = user_of(actor)
        placement.reviewed_at = now
        placement.updated_at = now
        changed.append(placement)
    if changed:
        Placement.objects.bulk_update(
            changed, ["review_state", "reviewed_by", "reviewed_at", "updated_at"]
        )
        history_snapshot(Placement, [row.pk for row in changed], history_type="~", user=actor)
    return len(changed)


@transaction.atomic
def placement_phases_sync() -> int:
    """Point every challenge or direction placement at its target's current phase.

    Placements store their phase for fast "papers of a phase" queries; call this after a
    challenge or direction moves to another phase. Returns how many placements moved.
    """
    moved = 0
    for relation in ("challenge", "direction"):
        stale = Placement.objects.filter(**{f"{relation}__isnull": False}).exclude(
            phase=models.F(f"{relation}__phase")
        )
        for placement in stale.select_related(relation):
            placement.phase_id = getattr(placement, relation).phase_id
            placement.save(update_fields=["phase", "updated_at"])
            moved += 1
    return moved


@transaction.atomic
def placement_edit(*, placement: Placement, data: dict, actor: Actor) -> Placement:
    """A curator edits a placement's target, evidence or review state.

    `placement` is the stored row; `data` may hold `target`, `evidence` and `review_state`.
    A changed review state records the curator and the time.
    """
    if "target" in data:
        fields = _target_fields(data["target"])
        placement.phase_id = fields["phase_id"]
        placement.challenge = fields["challenge"]
        placement.direction = fields["direction"]
    if "evidence" in data:
        placement.evidence = data["evidence"]
    state = data.get("review_state", placement.review_state)
    if state != placement.review_state:
        placement.review_state = state
        placement.reviewed_by = user_of(actor)
        placement.reviewed_at = timezone.now()
    history_user_set(placement, actor)
    placement.full_clean()
    placement.save()
    return placement


@dataclass(frozen=True, slots=True)
class PlacementProposal:
    """One placement a machine proposes (see `placement_add`). `accepted` overrides the
    origin's default review state (curators' own seed placements arrive accepted)."""

    paper_id: int
    target: Target
    origin: str
    confidence: float | None = None
    evidence: str = ""
    accepted: bool | None = None


def _proposal_key(paper_id: int, target: Target) -> tuple:
    fields = _target_fields(target)
    if fields["direction"] is not None:
        return ("direction", paper_id, fields["direction"].pk)
    if fields["challenge"] is not None:
        return ("challenge", paper_id, fields["challenge"].pk)
    return ("phase", paper_id, fields["phase_id"])


@transaction.atomic
def placement_add_many(*, proposals: Sequence[PlacementProposal]) -> int:
    """`placement_add` for many proposals at once, in a fixed number of queries.

    Same rules: an existing placement for the same paper and target — whatever a curator
    decided about it — is left alone (so is a repeat within `proposals`); survey placements
    start accepted, others pending (unless a proposal says). Returns how many were created;
    calling twice creates nothing the second time. If a concurrent writer adds one of the
    same placements first, the batch falls back to `placement_add` one by one.
    """
    if not proposals:
        return 0
    taken = set()
    existing = Placement.objects.filter(paper_id__in={p.paper_id for p in proposals}).values_list(
        "paper_id", "phase_id", "challenge_id", "direction_id"
    )
    for paper_id, phase_id, challenge_id, direction_id in existing:
        if direction_id:
            taken.add(("direction", paper_id, direction_id))
        elif challenge_id:
            taken.add(("challenge", paper_id, challenge_id))
        else:
            taken.add(("phase", paper_id, phase_id))
    now = timezone.now()
    rows = []
    for proposal in proposals:
        key = _proposal_key(proposal.paper_id, proposal.target)
        if key in taken:
            continue
        if proposal.confidence is not None and not 0 <= proposal.confidence <= 1:
            raise ApplicationError(f"confidence {proposal.confidence} is outside 0..1")
        taken.add(key)
        accepted = (
            proposal.origin == Placement.Origin.SURVEY
            if proposal.accepted is None
            else proposal.accepted
        )
        target = _target_fields(proposal.target)
        # Plain rows, not instances: suggestions add about three per new paper of an import.
        rows.append(
            {
                "paper_id": proposal.paper_id,
                "phase_id": target["phase_id"],
                "challenge_id": target["challenge"].pk if target["challenge"] else None,
                "direction_id": target["direction"].pk if target["direction"] else None,
                "origin": proposal.origin,
                "confidence": proposal.confidence,
                "evidence": proposal.evidence,
                "review_state": Placement.ReviewState.ACCEPTED
                if accepted
                else Placement.ReviewState.PENDING,
                "reviewed_at": now if accepted else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    if not rows:
        return 0
    try:
        with transaction.atomic():
            ids = create_rows(Placement, rows)
            history_snapshot(Placement, ids, history_type="+")
    except IntegrityError:
        papers = Paper.objects.in_bulk({p.paper_id for p in proposals})
        return sum(
            placement_add(
                paper=papers[p.paper_id],
                target=p.target,
                origin=p.origin,
                confidence=p.confidence,
                evidence=p.evidence,
                accepted=p.accepted,
            )[1]
            for p in proposals
        )
    return len(rows)


# --- Curators' edits through the API ------------------------------------------------------

# Fields of a paper a curator may set by hand (besides status, authors and categories).
EDITABLE_FIELDS = (
    "arxiv_id",
    "doi",
    "title",
    "abstract",
    "published_at",
    "revised_at",
    "year",
    "primary_category",
    "journal_ref",
    "venue",
    "comment",
    "license",
    "bibtex_key",
    "bibtex_type",
    # Set through the admin only (the API's serializer does not take them).
    "arxiv_version",
    "bibtex_fields",
)


@transaction.atomic
def paper_create(*, data: dict, actor: Actor) -> tuple[Paper, bool]:
    """A curator adds a paper by hand (`data`: EDITABLE_FIELDS, `authors` as names,
    `categories` as codes, `status` and `status_reason`).

    It goes through the same matching as every import: a paper that already exists (same
    arXiv id, DOI, or title + year + first author) is not duplicated — it only gains the
    fields it lacked, and (paper, False) comes back. A new paper is (paper, True), and every
    field the curator gave is protected from later ingestion. Safe to call twice.
    """
    data = dict(data)
    status = data.pop("status", Paper.Status.INBOX)
    reason = data.pop("status_reason", "")
    if status == Paper.Status.EXCLUDED and not reason.strip():
        raise ApplicationError("Say why the paper is excluded (status_reason).")
    names = data.get("authors", [])
    affiliations = data.pop("affiliations", None) or [""] * len(names)
    record = PaperRecord(
        authors=[
            AuthorRecord(name, affiliation)
            for name, affiliation in zip(names, affiliations, strict=True)
        ],
        categories=list(data.get("categories", [])),
        label="the paper sent",
        **{name: data[name] for name in EDITABLE_FIELDS if name in data},
    )
    outcome = paper_upsert_many(
        records=[record],
        source=Paper.Source.MANUAL,
        status=Paper.Status.INCLUDED if status == Paper.Status.INCLUDED else Paper.Status.INBOX,
        actor=actor,
    ).outcomes[0]
    if outcome.action == "failed" or outcome.paper_id is None:
        raise ApplicationError(f"The paper cannot be added: {outcome.reason}.")
    paper = Paper.objects.get(pk=outcome.paper_id)
    if outcome.action != "created":
        return paper, False
    given = {AUTHORS if n == "authors" else CATEGORIES if n == "categories" else n for n in data}
    history_user_set(paper, actor)
    curated_save(instance=paper, changed_fields=sorted(given))
    if status == Paper.Status.EXCLUDED:
        paper_exclude(papers=[paper], reason=reason, actor=actor)
        paper.refresh_from_db()
    return paper, True


@transaction.atomic
def paper_authors_replace(
    *,
    paper: Paper,
    names: list[str],
    actor: Actor,
    affiliations: Sequence[str] | None = None,
) -> bool:
    """Replace a paper's author list with `names` (in order; blanks and repeats dropped; with
    each author's affiliation on this paper when `affiliations` is given, in the same order) and
    protect it from ingestion. Returns whether the list changed; safe to call twice."""
    given = list(affiliations) if affiliations is not None else [""] * len(names)
    cleaned: dict[str, tuple[str, str]] = {}
    for name, affiliation in zip(names, given, strict=True):
        name = collapse_whitespace(name)
        key = author_key(name)
        if key and key not in cleaned:
            cleaned[key] = (name, collapse_whitespace(affiliation))
    current = [
        (a.author.name_key, a.affiliation)
        for a in paper.authorships.select_related("author").order_by("position")
    ]
    wanted = [(key, affiliation) for key, (_, affiliation) in cleaned.items()]
    if affiliations is None:  # names only: the affiliations on record stay
        current = [(key, "") for key, _ in current]
    if current == wanted:
        return False
    kept = {a.author.name_key: a.affiliation for a in paper.authorships.select_related("author")}
    authors = author_ids_get_or_create(
        {key: name for key, (name, _) in cleaned.items()}, actor=actor
    )
    paper.authorships.all().delete()
    Authorship.objects.bulk_create(
        Authorship(
            paper=paper,
            author_id=authors[key],
            position=position,
            affiliation=affiliation if affiliations is not None else kept.get(key, ""),
        )
        for position, (key, (_, affiliation)) in enumerate(cleaned.items())
    )
    paper_authors_edited(paper=paper, actor=actor)
    return True


@transaction.atomic
def paper_categories_replace(*, paper: Paper, codes: list[str], actor: Actor) -> bool:
    """Replace a paper's categories and protect them from ingestion. Returns whether they
    changed; safe to call twice."""
    codes = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if set(codes) == set(paper.categories.values_list("code", flat=True)):
        return False
    categories = [Category(code=code) for code in codes]
    Category.objects.bulk_create(categories, ignore_conflicts=True)
    paper.categories.set(categories)
    history_user_set(paper, actor)
    curated_save(instance=paper, changed_fields=[CATEGORIES])
    return True


@transaction.atomic
def paper_edit(*, paper: Paper, data: dict, actor: Actor) -> Paper:
    """A curator's edit of any part of a paper: fields (via `paper_update`, so ingestion never
    overwrites them; `curator_edited_fields` itself to release a field), `authors` (with
    `affiliations`), `categories`, and `status` (+ `status_reason`) moving it between inbox,
    included and excluded. Safe to call twice: nothing changes the second time.
    """
    data = dict(data)
    names = data.pop("authors", None)
    affiliations = data.pop("affiliations", None)
    codes = data.pop("categories", None)
    status = data.pop("status", None)
    reason = data.pop("status_reason", None)
    fields = {
        name: value
        for name, value in data.items()
        if name in EDITABLE_FIELDS or name == "curator_edited_fields"
    }
    if fields:
        paper_update(paper=paper, data=fields, actor=actor)
    if names is not None:
        paper_authors_replace(paper=paper, names=names, affiliations=affiliations, actor=actor)
    if codes is not None:
        paper_categories_replace(paper=paper, codes=codes, actor=actor)
    if status == Paper.Status.INCLUDED:
        paper_include(papers=[paper], actor=actor)
    elif status == Paper.Status.EXCLUDED or (status is None and reason is not None):
        if paper.status == Paper.Status.EXCLUDED and reason is None:
            pass  # already excluded, and the reason stays
        elif paper.status != Paper.Status.EXCLUDED and status is None:
            raise ApplicationError("status_reason applies to excluded papers only.")
        else:
            paper_exclude(papers=[paper], reason=reason or "", actor=actor)
    elif status == Paper.Status.INBOX and paper.status != Paper.Status.INBOX:
        paper_update(
            paper=paper,
            data={"status": Paper.Status.INBOX, "status_reason": "", "included_at": None},
            actor=actor,
        )
    paper.refresh_from_db()
    return paper


@transaction.atomic
def paper_delete(*, paper: Paper, actor: Actor) -> None:
    """Delete a paper with its authorships and placements (its authors stay). Excluding is
    usually the better choice: a deleted arXiv paper comes back with the next harvest."""
    history_user_set(paper, actor)
    paper.delete()


@transaction.atomic
def placement_delete(*, placement: Placement, actor: Actor) -> None:
    """Delete a placement. A suggestion deleted this way may be suggested again; rejecting
    it (`placement_review`) keeps the decision."""
    history_user_set(placement, actor)
    placement.delete()


def taxonomy_item_edit(
    *, item: Phase | Challenge | ResearchDirection, data: dict, actor: Actor
) -> Phase | Challenge | ResearchDirection:
    """A curator edits a taxonomy item (`apps.taxonomy.services.taxonomy_item_update`); when a
    challenge or direction moves to another phase, its placements follow
    (`placement_phases_sync`). Safe to call twice."""
    with transaction.atomic():
        item, changed = taxonomy_item_update(item=item, data=data, actor=actor)
        if "phase" in changed and not isinstance(item, Phase):
            placement_phases_sync()
    return item
