"""Filter pieces every app's filtersets share (HTML lists and the API alike)."""

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.drainage import set_override


class CommaSeparatedChoiceField(forms.ModelMultipleChoiceField):
    """Accepts `?x=a&x=b` and `?x=a,b` alike."""

    def clean(self, value: object) -> QuerySet:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            value = [part.strip() for item in value for part in str(item).split(",")]
            value = [part for part in value if part]
        return super().clean(value)


class MultipleFilter(django_filters.ModelMultipleChoiceFilter):
    """A repeatable or comma-separated parameter naming rows; OR between the values."""

    field_class = CommaSeparatedChoiceField

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # The OpenAPI schema cannot infer "a slug (or code)" from the model; say it, and keep
        # the label as the parameter's description.
        set_override(self, "field", {"type": "string", "description": str(self.label or "")})
