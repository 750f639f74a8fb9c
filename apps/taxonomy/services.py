"""Writes to the taxonomy: loading the survey's phases, topics, challenges and directions."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.db import models, transaction

from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.history import history_user_set
from apps.core.models import CuratedModel
from apps.core.services import curated_save
from apps.taxonomy.models import Challenge, Phase, Provenance, ResearchDirection, StatusTopic

SURVEY_TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "survey-taxonomy.yaml"


@dataclass
class LoadCounts:
    """How many rows of one kind a load created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, action: str) -> None:
        setattr(self, action, getattr(self, action) + 1)

    def __str__(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged}"


def read_survey_taxonomy(path: Path = SURVEY_TAXONOMY_PATH) -> dict[str, Any]:
    """Parse and check the taxonomy YAML; raise ApplicationError naming what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ApplicationError(f"cannot read {path}: {error}") from error
    phases = data.get("phases") if isinstance(data, dict) else None
    if not isinstance(phases, list) or not phases:
        raise ApplicationError(f"{path}: expected a non-empty 'phases' list")
    slugs: set[str] = set()
    for phase in phases:
        _require(phase, ("slug", "order", "name"), f"{path}: phase")
        where = f"{path}: phase {phase['slug']}"
        challenge_slugs = set()
        for challenge in phase.get("challenges", []):
            _require(challenge, ("slug", "name"), f"{where}: challenge")
            _check_provenance(challenge, where)
            challenge_slugs.add(challenge["slug"])
        for direction in phase.get("directions", []):
            _require(direction, ("slug", "name"), f"{where}: direction")
            _check_provenance(direction, where)
            unknown = set(direction.get("addresses", [])) - challenge_slugs
            if unknown:
                raise ApplicationError(
                    f"{where}: direction {direction['slug']} addresses unknown challenges "
                    f"{sorted(unknown)}"
                )
        for topic in phase.get("status_topics", []):
            _require(topic, ("name",), f"{where}: status topic")
            _check_provenance(topic, where)
        for slug in [phase["slug"], *challenge_slugs]:
            if slug in slugs:
                raise ApplicationError(f"{path}: slug {slug!r} is used twice")
            slugs.add(slug)
    return data


def _require(item: object, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(item, dict) or any(not item.get(key) for key in keys):
        raise ApplicationError(f"{where} needs {', '.join(keys)}: {item!r}")


def _check_provenance(item: dict, where: str) -> None:
    provenance = item.get("provenance", Provenance.SURVEY)
    if provenance not in Provenance.values:
        raise ApplicationError(f"{where}: unknown provenance {provenance!r} in {item!r}")


_Row = TypeVar("_Row", bound=CuratedModel)


def _sync(model: type[_Row], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[_Row, str]:
    """Create the row, or bring its non-curated fields up to `values`.

    Returns (row, "created" | "updated" | "unchanged"). Fields a curator edited stay as they are.
    """
    row = model._default_manager.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **values)
        row.full_clean()
        row.save()
        return row, "created"
    changed = [
        name
        for name, value in values.items()
        if not row.is_curator_edited(name) and getattr(row, name) != value
    ]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    row.full_clean()
    row.save()
    return row, "updated"


@transaction.atomic
def survey_taxonomy_load(*, data: dict[str, Any]) -> dict[str, LoadCounts]:
    """Load the survey's taxonomy (from `read_survey_taxonomy`) into the database.

    Adds what is missing and updates fields the YAML changed, except fields a curator edited;
    never deletes. Safe to call twice: the second call changes nothing.
    """
    counts = {kind: LoadCounts() for kind in ("phases", "topics", "challenges", "directions")}
    for phase_data in data["phases"]:
        phase, action = _sync(
            Phase,
            {"slug": phase_data["slug"]},
            {
                "order": phase_data["order"],
                "name": phase_data["name"],
                "summary": phase_data.get("summary", "").strip(),
                "description": phase_data.get("description", "").strip(),
                "keywords": list(phase_data.get("keywords", [])),
            },
        )
        counts["phases"].add(action)
        for position, topic in enumerate(phase_data.get("status_topics", [])):
            _, action = _sync(
                StatusTopic,
                {"phase": phase, "name": topic["name"]},
                {
                    "note": topic.get("note", ""),
                    "provenance": topic.get("provenance", Provenance.SURVEY),
                    "position": position,
                },
            )
            counts["topics"].add(action)
        challenges = {}
        for position, item in enumerate(phase_data.get("challenges", [])):
            challenge, action = _sync(
                Challenge,
                {"slug": item["slug"]},
                {**_item_values(item, phase, position), "keywords": list(item.get("keywords", []))},
            )
            challenges[item["slug"]] = challenge
            counts["challenges"].add(action)
        for position, item in enumerate(phase_data.get("directions", [])):
            direction, action = _sync(
                ResearchDirection, {"slug": item["slug"]}, _item_values(item, phase, position)
            )
            wanted = {challenges[slug].pk for slug in item.get("addresses", [])}
            missing = wanted - set(direction.challenges.values_list("pk", flat=True))
            if missing:
                direction.challenges.add(*missing)
                action = "created" if action == "created" else "updated"
            counts["directions"].add(action)
    return counts


def _item_values(item: dict, phase: Phase, position: int) -> dict[str, models.Model | str | int]:
    return {
        "phase": phase,
        "name": item["name"],
        "summary": item.get("summary", "").strip(),
        "description": item.get("description", "").strip(),
        "provenance": item.get("provenance", Provenance.SURVEY),
        "position": position,
    }


# --- Curators' edits through the API ------------------------------------------------------

TaxonomyItem = Phase | Challenge | ResearchDirection


class TaxonomyItemInUse(ApplicationError):
    """A taxonomy item cannot be deleted while other rows still point at it."""

    status_code = 409


def _set_challenges(item: TaxonomyItem, challenges: list[Challenge] | None) -> bool:
    if challenges is None or not isinstance(item, ResearchDirection):
        return False
    wanted = {challenge.pk for challenge in challenges}
    if wanted == set(item.challenges.values_list("pk", flat=True)):
        return False
    item.challenges.set(wanted)
    return True


@transaction.atomic
def taxonomy_item_create(
    *, model: type[TaxonomyItem], data: dict[str, Any], actor: Actor
) -> TaxonomyItem:
    """A curator adds a phase, challenge or direction (`data` holds its fields; a direction's
    `challenges` is a list of Challenge rows). Every given field counts as curator-edited, so a
    later survey load never overwrites it. Not idempotent: a second call with the same slug
    fails validation (slugs are unique)."""
    data = dict(data)
    challenges = data.pop("challenges", None)
    if model is not Phase:
        data.setdefault("provenance", Provenance.CURATED)
    item = model(**data)
    history_user_set(item, actor)
    curated_save(instance=item, changed_fields=[name for name in data if name != "provenance"])
    _set_challenges(item, challenges)
    return item


@transaction.atomic
def taxonomy_item_update(
    *, item: TaxonomyItem, data: dict[str, Any], actor: Actor
) -> tuple[TaxonomyItem, list[str]]:
    """A curator edits a taxonomy item; the changed fields are protected from the survey
    loader. Returns (item, names of the fields that changed). Safe to call twice: the second
    call changes nothing."""
    data = dict(data)
    challenges = data.pop("challenges", None)
    changed = [name for name, value in data.items() if getattr(item, name) != value]
    for name in changed:
        setattr(item, name, data[name])
    if changed:
        history_user_set(item, actor)
        curated_save(instance=item, changed_fields=changed)
    if _set_challenges(item, challenges):
        changed.append("challenges")
    return item, changed


@transaction.atomic
def taxonomy_item_delete(*, item: TaxonomyItem, actor: Actor) -> None:
    """Delete a taxonomy item nothing points at any more; raise TaxonomyItemInUse (naming what
    still uses it) otherwise. A direction's links to challenges go with it."""
    try:
        with transaction.atomic():
            history_user_set(item, actor)
            item.delete()
    except (models.ProtectedError, models.RestrictedError) as error:
        users: dict[str, int] = {}
        for row in (
            error.protected_objects
            if isinstance(error, models.ProtectedError)
            else error.restricted_objects
        ):
            label = str(row._meta.verbose_name_plural)
            users[label] = users.get(label, 0) + 1
        found = ", ".join(f"{count} {label}" for label, count in sorted(users.items()))
        raise TaxonomyItemInUse(
            f"{type(item)._meta.verbose_name} {item.slug!r} is still used by {found}; "
            "move or delete those first."
        ) from error
