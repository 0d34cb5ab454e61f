from django.urls import path

from knowflow.events import views

app_name = "events"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("propose/", views.session_propose, name="propose"),
    path("occurrences/<int:occurrence_id>/register/", views.register, name="register"),
    path("occurrences/<int:occurrence_id>/cancel/", views.cancel, name="cancel"),
    path("occurrences/<int:occurrence_id>/attendance/", views.attendance, name="attendance"),
    path("<slug:slug>/", views.session_page, name="session"),
    path("<slug:slug>/edit/", views.session_edit, name="edit"),
    path("<slug:slug>/occurrences/new/", views.occurrence_add, name="occurrence_add"),
]
