"""HTML pages and feeds about papers."""

from django.urls import path

from apps.core.views import public_page
from apps.papers import feeds, views

app_name = "papers"

urlpatterns = [
    path("", views.home, name="home"),
    path("papers/", views.paper_list, name="list"),
    path("papers/bibtex/", views.paper_bibtex, name="bibtex"),
    path("papers/<int:pk>/", views.paper_detail, name="detail"),
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
