"""The one router of the REST API, mounted at /api/v1/ (URL names in the `api` namespace)."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from apps.core.api.views import api_not_found
from apps.ingestion.api.bibtex import BibtexImportViewSet
from apps.ingestion.api.views import (
    HarvestSourceViewSet,
    IngestRunViewSet,
    IngestView,
    RefreshView,
)
from apps.listings.api.views import ListingViewSet, PrismaView
from apps.papers.api.views import (
    AuthorViewSet,
    GapMapView,
    PaperViewSet,
    PlacementViewSet,
    StatsView,
)
from apps.taxonomy.api.views import ChallengeViewSet, DirectionViewSet, PhaseViewSet

app_name = "api"


class Router(DefaultRouter):
    """DefaultRouter whose root view also lists the endpoints that are not viewsets."""

    include_format_suffixes = False  # formats are chosen with ?format= or Accept
    extra_endpoints = {
        "stats": "stats",
        "gaps": "gaps",
        "ingest": "ingest",
        "refresh": "refresh",
        "prisma": "prisma",
    }

    def get_api_root_view(self, api_urls=None):  # type: ignore[no-untyped-def]
        view = super().get_api_root_view(api_urls)
        view.initkwargs["api_root_dict"].update(self.extra_endpoints)  # type: ignore[attr-defined]
        return view


router = Router()
router.register("phases", PhaseViewSet, basename="phase")
router.register("challenges", ChallengeViewSet, basename="challenge")
router.register("directions", DirectionViewSet, basename="direction")
router.register("papers", PaperViewSet, basename="paper")
router.register("placements", PlacementViewSet, basename="placement")
router.register("authors", AuthorViewSet, basename="author")
router.register("ingest-runs", IngestRunViewSet, basename="ingestrun")
router.register("harvest-sources", HarvestSourceViewSet, basename="harvestsource")
router.register("bibtex-imports", BibtexImportViewSet, basename="bibtex-import")
router.register("listings", ListingViewSet, basename="listing")

urlpatterns = [
    path("stats/", StatsView.as_view(), name="stats"),
    path("gaps/", GapMapView.as_view(), name="gaps"),
    path("ingest/", IngestView.as_view(), name="ingest"),
    path("refresh/", RefreshView.as_view(), name="refresh"),
    path("prisma/", PrismaView.as_view(), name="prisma"),
    *router.urls,
    re_path(r"^.*$", api_not_found),
]
