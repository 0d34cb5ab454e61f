from django.urls import path

from knowflow.events import planning_views, views

app_name = "events"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("propose/", views.session_propose, name="propose"),
    path("find-a-time/", planning_views.find_time, name="find_time"),
    path("occurrences/<int:occurrence_id>/register/", views.register, name="register"),
    path("occurrences/<int:occurrence_id>/cancel/", views.cancel, name="cancel"),
    path(
        "occurrences/<int:occurrence_id>/cancel-date/",
        views.occurrence_cancel,
        name="occurrence_cancel",
    ),
    path("occurrences/<int:occurrence_id>/attendance/", views.attendance, name="attendance"),
    path(
        "occurrences/<int:occurrence_id>/checklist/",
        views.attendance_checklist,
        name="attendance_checklist",
    ),
    path(
        "occurrences/<int:occurrence_id>/check-in-link/",
        views.checkin_display,
        name="checkin_display",
    ),
    path("occurrences/<int:occurrence_id>/check-in/", views.check_in, name="check_in_going"),
    path(
        "occurrences/<int:occurrence_id>/check-in/<str:token>/",
        views.check_in,
        name="check_in",
    ),
    path("occurrences/<int:occurrence_id>/edit/", views.occurrence_edit, name="occurrence_edit"),
    path("<slug:slug>/", views.session_page, name="session"),
    path("<slug:slug>/edit/", views.session_edit, name="edit"),
    path("<slug:slug>/cancel/", views.session_cancel, name="session_cancel"),
    path("<slug:slug>/occurrences/new/", views.occurrence_add, name="occurrence_add"),
    path("<slug:slug>/find-a-time/", planning_views.find_time, name="find_time_for"),
    path(
        "<slug:slug>/find-a-time/create/", planning_views.create_from_plan, name="create_from_plan"
    ),
]
