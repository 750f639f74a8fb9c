"""Top-level URLs: admin, the REST API under /api/v1/, and the researchers' HTML pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("sellm.api_router")),
]
