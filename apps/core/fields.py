"""Match keys derived from another column of the same row, which no write path can forget.

A key stored beside its source (`Paper.title_key` beside `title`, `Author.name_key` beside
`name`) goes stale as soon as one writer updates the source and not the key: an edited title
then no longer matches its corrected import, and a second paper appears. So the key is
computed by the field itself (`pre_save`: `save()`, `create()` and `bulk_create()`), by the
model's `save(update_fields=…)` and by the QuerySet's `update()`, `bulk_update()` and
`bulk_create(update_conflicts=True, update_fields=…)` — the ORM writes that would skip it.
Raw SQL writers must use `FoldedKeyField.key_for`.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models

from apps.core.text import folded_key

_M = TypeVar("_M", bound=models.Model)


class FoldedKeyField(models.CharField):
    """A CharField holding `fold(<source field>)`, cut to `max_length`; never edited."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def key_for(self, value: str | None) -> str:
        """The key of a source value."""
        return folded_key(value, self.max_length or 255)

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.key_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def folded_key_fields(model: type[models.Model]) -> list[FoldedKeyField]:
    """The model's derived key fields."""
    return [field for field in model._meta.concrete_fields if isinstance(field, FoldedKeyField)]


def _with_keys(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """`names` plus every key field whose source is among them."""
    names = list(names)
    for field in folded_key_fields(model):
        if field.source in names and field.name not in names:
            names.append(field.name)
    return names


class FoldedKeyQuerySet(models.QuerySet[_M]):
    """Keeps FoldedKeyFields true through `update()` and `bulk_update()`."""

    def update(self, **kwargs: Any) -> int:
        for field in folded_key_fields(self.model):
            if field.source not in kwargs or field.name in kwargs:
                continue  # bulk_update (below) passes both, the key computed per row
            value = kwargs[field.source]
            if hasattr(value, "resolve_expression"):
                raise TypeError(
                    f"{self.model.__name__}.{field.source} set from an expression: "
                    f"{field.name} cannot be derived in SQL; save the rows instead"
                )
            kwargs[field.name] = field.key_for(value)
        return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        # pre_save derives the keys of the inserted rows; an upsert's conflict update writes
        # only `update_fields`, so the key goes with its source there too.
        if kwargs.get("update_fields"):
            kwargs["update_fields"] = _with_keys(self.model, kwargs["update_fields"])
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs, fields = list(objs), list(fields)
        for field in folded_key_fields(self.model):
            if field.source in fields:
                for obj in objs:
                    setattr(obj, field.attname, field.key_for(getattr(obj, field.source)))
        return super().bulk_update(objs, _with_keys(self.model, fields), batch_size=batch_size)


class FoldedKeyModel(models.Model):
    """A model with FoldedKeyFields: `save(update_fields=[source])` writes the key too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = _with_keys(type(self), kwargs["update_fields"])
        super().save(*args, **kwargs)
