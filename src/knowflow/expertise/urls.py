from django.urls import path

from knowflow.expertise import views

app_name = "expertise"
urlpatterns = [
    path("", views.find, name="find"),
    path("mine/", views.mine, name="mine"),
    path("mine/hide/", views.topic_hide, name="hide"),
    path("mine/show/", views.topic_show, name="show"),
    path("mine/add/", views.topic_add, name="add"),
    path("mine/listed/", views.listed, name="listed"),
    path("people/<slug:slug>/", views.profile, name="profile"),
    path("people/<slug:slug>/confirm/", views.confirm, name="confirm"),
]
