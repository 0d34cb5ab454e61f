from django.urls import path

from knowflow.feedback import views

app_name = "feedback"
urlpatterns = [
    path("r/<str:token>/", views.answer_by_link, name="answer_by_link"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<int:request_id>/", views.answer_in_app, name="answer"),
    path("mine/", views.my_sessions, name="mine"),
    path("programme/", views.programme, name="programme"),
    path("evidence/", views.evidence, name="evidence"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/copy/", views.template_copy, name="template_copy"),
    path(
        "templates/<int:template_id>/default/",
        views.template_make_default,
        name="template_make_default",
    ),
    path(
        "occurrences/<int:occurrence_id>/retrospective/",
        views.retrospective_save,
        name="retrospective_save",
    ),
    path(
        "occurrences/<int:occurrence_id>/actions/",
        views.retrospective_action_add,
        name="action_add",
    ),
    path("actions/", views.open_actions, name="actions"),
    path("actions/<int:action_id>/done/", views.retrospective_action_done, name="action_done"),
    path("sessions/<slug:slug>/", views.results, name="results"),
    path("sessions/<slug:slug>/export.csv", views.results_csv, name="results_csv"),
]
