from django.urls import path

from knowflow.conferences import views

app_name = "conferences"
urlpatterns = [
    path("", views.conference_list, name="list"),
    path("<slug:slug>/", views.programme, name="programme"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/talks/<str:guid>/star/", views.star, name="star"),
]
