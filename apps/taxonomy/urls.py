"""HTML pages of the taxonomy: phases, challenges, research directions."""

from django.urls import path

from apps.taxonomy import views

app_name = "taxonomy"

urlpatterns = [
    path("phases/", views.phase_index, name="phases"),
    path("challenges/", views.challenge_index, name="challenges"),
    path("directions/", views.direction_index, name="directions"),
    path("phases/<slug:slug>/", views.phase_detail, name="phase"),
    path("challenges/<slug:slug>/", views.challenge_detail, name="challenge"),
    path("directions/<slug:slug>/", views.direction_detail, name="direction"),
]
