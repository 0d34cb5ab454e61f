from django.urls import path

from knowflow.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.webhook_list_page, name="list"),
    path("new/", views.webhook_new, name="new"),
    path("<int:webhook_id>/", views.webhook_page, name="webhook"),
    path("<int:webhook_id>/edit/", views.webhook_edit, name="edit"),
    path("<int:webhook_id>/active/", views.webhook_active, name="active"),
    path("<int:webhook_id>/ping/", views.webhook_ping_send, name="ping"),
    path("<int:webhook_id>/rotate/", views.webhook_rotate, name="rotate"),
    path("<int:webhook_id>/delete/", views.webhook_delete_page, name="delete"),
    path(
        "<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver_send,
        name="redeliver",
    ),
]
