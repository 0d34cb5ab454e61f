"""/scim/v2/…: the SCIM protocol; anything else under it is a SCIM 404, not a page."""

from django.urls import path, re_path

from knowflow.scim import protocol_views as views

app_name = "scim_protocol"
urlpatterns = [
    path("", views.not_found, name="root"),
    path("ServiceProviderConfig", views.service_provider_config_view),
    path("Schemas", views.schemas_view),
    path("Schemas/<str:schema_id>", views.schemas_view),
    path("ResourceTypes", views.resource_types_view),
    path("ResourceTypes/<str:name>", views.resource_types_view),
    path(".search", views.search),
    path("Users/.search", views.users_search),
    path("Groups/.search", views.groups_search),
    path("Users", views.users),
    path("Users/<str:scim_id>", views.user),
    path("Groups", views.groups),
    path("Groups/<str:scim_id>", views.group),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
