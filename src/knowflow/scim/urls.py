from django.urls import path

from knowflow.scim import views

app_name = "scim"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
