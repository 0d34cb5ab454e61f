from django.urls import path

from knowflow.circles import views

app_name = "circles"
urlpatterns = [
    path("", views.circle_list, name="list"),
    path("new/", views.circle_new, name="new"),
    path("<slug:slug>/", views.circle_page, name="circle"),
    path("<slug:slug>/edit/", views.circle_edit, name="edit"),
    path("<slug:slug>/people/", views.circle_people, name="people"),
    path("<slug:slug>/people/<slug:person>/remove/", views.member_remove, name="member_remove"),
    path("<slug:slug>/hand-over/", views.hand_over, name="hand_over"),
    path("<slug:slug>/review/", views.circle_review, name="review"),
    path("<slug:slug>/sunset/", views.circle_sunset, name="sunset"),
    path("<slug:slug>/revive/", views.circle_revive, name="revive"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/members/", views.member_add, name="member_add"),
]
