from django.contrib.auth import views as auth_views
from django.urls import path

from knowflow.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("people/", views.directory, name="directory"),
    path("people/<slug:slug>/", views.person_page, name="person"),
    path("people/<slug:slug>/active/", views.person_deactivate, name="person_active"),
]
