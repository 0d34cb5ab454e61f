from django.urls import path

from knowflow.chat import views

app_name = "chat"
urlpatterns = [
    path("circles/<slug:slug>/", views.circle_channels, name="circle"),
    path("topics/<slug:slug>/", views.topic_channels, name="topic"),
    path("channels/<int:channel_id>/test/", views.channel_test, name="test"),
    path("channels/<int:channel_id>/remove/", views.channel_remove, name="remove"),
    path("channels/<int:channel_id>/active/", views.channel_set_active, name="set_active"),
    path("slack/command", views.slack_command, name="slack_command"),
]
