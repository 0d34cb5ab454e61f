"""Library and search pages. Included at the site root: the search lives at /search/."""

from django.urls import path

from knowflow.library import views

app_name = "library"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.search_suggest, name="suggest"),
    path(
        "search/click/<int:log_id>/<str:kind>/<int:object_id>/<int:position>/",
        views.search_click,
        name="click",
    ),
    path("library/", views.library_home, name="home"),
    path("library/insights/", views.search_insights, name="insights"),
    path("library/add/", views.resource_add, name="resource_add"),
    path("library/collections/", views.collection_list, name="collections"),
    path("library/collections/new/", views.collection_add, name="collection_add"),
    path(
        "library/collections/items/<int:item_id>/done/",
        views.collection_item_mark,
        name="item_mark",
    ),
    path("library/collections/<slug:slug>/", views.collection_page, name="collection"),
    path("library/collections/<slug:slug>/items/", views.collection_item_add, name="item_add"),
    path(
        "library/collections/<slug:slug>/sections/",
        views.collection_section_add,
        name="section_add",
    ),
    path("library/collections/<slug:slug>/follow/", views.collection_follow, name="follow"),
    path(
        "library/sessions/<int:session_id>/watched/",
        views.recording_watched,
        name="recording_watched",
    ),
    path("library/<slug:slug>/", views.resource_page, name="resource"),
    path("library/<slug:slug>/edit/", views.resource_edit, name="resource_edit"),
    path("library/<slug:slug>/captions/", views.resource_captions, name="captions"),
    path(
        "library/<slug:slug>/captions/delete/",
        views.resource_captions_delete,
        name="captions_delete",
    ),
    path("library/<slug:slug>/confirm/", views.resource_confirm, name="resource_confirm"),
    path("library/<slug:slug>/file/", views.resource_file, name="resource_file"),
]
