"""The one router of the REST API, mounted at /api/v1/."""

from rest_framework.routers import DefaultRouter

from apps.ingestion.api.bibtex import BibtexImportViewSet

router = DefaultRouter()
router.register("bibtex-imports", BibtexImportViewSet, basename="bibtex-import")

urlpatterns = router.urls
