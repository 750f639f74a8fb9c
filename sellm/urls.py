"""Top-level URLs: admin, the REST API under /api/v1/, and the researchers' HTML pages."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core.api.views import api_not_found, my_api_token
from apps.papers.admin_inbox import inbox, inbox_accept

# The admin index leads to the inbox (with its count) and the API-token page (issue 12).
admin.site.index_template = "admin/sellm_index.html"

urlpatterns = [
    path("admin/api-token/", admin.site.admin_view(my_api_token), name="admin-api-token"),
    path("admin/inbox/", admin.site.admin_view(inbox), name="admin-inbox"),
    path("admin/inbox/accept/", admin.site.admin_view(inbox_accept), name="admin-inbox-accept"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("sellm.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script from a URL: the CSP allows no inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api_not_found),
]

# --- Researchers' HTML pages and Atom feeds (issue 4) ---------------------------------------
urlpatterns += [
    path("", include("apps.core.urls")),
    path("", include("apps.taxonomy.urls")),
    path("", include("apps.papers.urls")),
    path("", include("apps.listings.urls")),
]
handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
