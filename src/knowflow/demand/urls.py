from django.urls import path

from knowflow.demand import views

app_name = "demand"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("ask/", views.ask, name="ask"),
    path("demand/", views.demand_list, name="demand"),
    path("<int:pk>/", views.request_page, name="request"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/unvote/", views.unvote, name="unvote"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/propose/", views.propose, name="propose"),
]
