"""The curator's form that freezes a paper list into a listing."""

from django import forms

from apps.listings.services import MAX_QUERY_LENGTH


class ListingFreezeForm(forms.Form):
    title = forms.CharField(max_length=300, help_text="What the list is, as readers will cite it.")
    description = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what the list holds and why.",
    )
    query = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="The paper list's query string (filters, search, ordering).",
    )
