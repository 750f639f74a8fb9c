"""HTML pages and feeds about papers."""

from django.urls import path

from apps.core.views import public_page
from apps.papers import feeds, views

app_name = "papers"
BIBTEX, RIS, CSL = {"fmt": "bibtex"}, {"fmt": "ris"}, {"fmt": "csljson"}  # export formats

urlpatterns = [
    path("", views.home, name="home"),
    path("papers/", views.paper_list, name="list"),
    path("papers/bibtex/", views.paper_export, BIBTEX, name="bibtex"),
    path("papers/ris/", views.paper_export, RIS, name="ris"),
    path("papers/csl-json/", views.paper_export, CSL, name="csljson"),
    path("papers/<int:pk>/", views.paper_detail, name="detail"),
    path("papers/<int:pk>/bibtex/", views.paper_export_one, BIBTEX, name="detail-bibtex"),
    path("papers/<int:pk>/ris/", views.paper_export_one, RIS, name="detail-ris"),
    path("papers/<int:pk>/csl-json/", views.paper_export_one, CSL, name="detail-csljson"),
    path("authors/", views.author_list, name="authors"),
    path("authors/<int:pk>/", views.author_detail, name="author"),
    path("gaps/", views.gap_map, name="gaps"),
    path("feeds/papers/", public_page(feeds.NewPapersFeed()), name="feed"),
    path("feeds/phases/<slug:slug>/", public_page(feeds.PhaseFeed()), name="phase-feed"),
    path(
        "feeds/challenges/<slug:slug>/",
        public_page(feeds.ChallengeFeed()),
        name="challenge-feed",
    ),
    path(
        "feeds/directions/<slug:slug>/",
        public_page(feeds.DirectionFeed()),
        name="direction-feed",
    ),
]
