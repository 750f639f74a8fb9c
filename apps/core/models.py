"""Abstract models shared by every app."""

from django.db import models


class TimeStampedModel(models.Model):
    """Records when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class CuratedModel(TimeStampedModel):
    """A row that machines (seed loader, ingestion) and curators both write.

    `curator_edited_fields` names the fields a curator has changed by hand; machine writers
    leave those fields alone, so a curator's correction survives every later load or harvest.
    """

    curator_edited_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Fields changed by a curator; the seed loader and ingestion never overwrite "
        "them. Remove a name to let machines update that field again.",
    )

    class Meta:
        abstract = True

    def is_curator_edited(self, field: str) -> bool:
        return field in self.curator_edited_fields
