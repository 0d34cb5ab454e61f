from django.urls import path

from knowflow.conferences import planning_views, views

app_name = "conferences"
urlpatterns = [
    path("", views.conference_list, name="list"),
    path("<slug:slug>/", views.programme, name="programme"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/talks/<str:guid>/star/", views.star, name="star"),
    path("<slug:slug>/plan/", planning_views.plan, name="plan"),
    path("<slug:slug>/plan/drafts/<int:pk>/", planning_views.draft, name="draft"),
]
