"""Site-wide HTML pages."""

from django.urls import path

from apps.core import views

app_name = "core"

urlpatterns = [
    path("about/", views.about, name="about"),
]
