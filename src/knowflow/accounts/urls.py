from django.contrib.auth import views as auth_views
from django.urls import path

from knowflow.accounts import oidc_views, people_file_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", oidc_views.SignInView.as_view(), name="login"),
    path("oidc/start/", oidc_views.ProviderSignInStart.as_view(), name="oidc_start"),
    path("oidc/callback/", oidc_views.ProviderSignInCallback.as_view(), name="oidc_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("people/", views.directory, name="directory"),
    # Before people/<slug>/, so "import" is not read as a person's slug (the people file never
    # gives that slug; see people_file.applying.RESERVED_SLUGS).
    path("people/import/", people_file_views.people_import, name="people_import"),
    path(
        "people/import/current.csv",
        people_file_views.people_file_download,
        name="people_file_download",
    ),
    path(
        "people/import/<int:upload_id>/",
        people_file_views.people_import_preview,
        name="people_import_preview",
    ),
    path(
        "people/import/<int:upload_id>/apply/",
        people_file_views.people_import_apply,
        name="people_import_apply",
    ),
    path(
        "people/import/<int:upload_id>/report.csv",
        people_file_views.people_import_report,
        name="people_import_report",
    ),
    path("people/<slug:slug>/", views.person_page, name="person"),
    path("people/<slug:slug>/active/", views.person_deactivate, name="person_active"),
]
