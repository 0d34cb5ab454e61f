from django.urls import path

from knowflow.circles import views

app_name = "circles"
urlpatterns = [
    path("", views.circle_list, name="list"),
    path("<slug:slug>/", views.circle_page, name="circle"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/members/", views.member_add, name="member_add"),
]
