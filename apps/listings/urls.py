"""HTML pages of listings and of the base's PRISMA flow."""

from django.urls import path

from apps.listings import views

app_name = "listings"

urlpatterns = [
    path("listings/", views.listing_list, name="list"),
    path("listings/new/", views.listing_new, name="new"),
    path("listings/<slug:slug>/", views.listing_detail, name="detail"),
    path("listings/<slug:slug>/export.bib", views.listing_export_bibtex, name="bibtex"),
    path("listings/<slug:slug>/export.ris", views.listing_export_ris, name="ris"),
    path("listings/<slug:slug>/export.json", views.listing_export_csl, name="csl"),
    path("listings/<slug:slug>/cite.bib", views.listing_cite, name="cite"),
    path("prisma/", views.prisma, name="prisma"),
]
