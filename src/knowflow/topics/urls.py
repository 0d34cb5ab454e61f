from django.urls import path

from knowflow.topics import views

app_name = "topics"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("<slug:slug>/", views.topic_page, name="topic"),
]
