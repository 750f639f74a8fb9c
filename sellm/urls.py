"""Top-level URLs: admin, the REST API under /api/v1/, and the researchers' HTML pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("sellm.api_router")),
]

# --- Researchers' HTML pages and Atom feeds (issue 4) ---------------------------------------
urlpatterns += [
    path("", include("apps.core.urls")),
    path("", include("apps.taxonomy.urls")),
    path("", include("apps.papers.urls")),
]
handler404 = "apps.core.views.page_not_found"
