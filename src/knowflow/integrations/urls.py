from django.urls import path

from knowflow.integrations import views

app_name = "calendar"
urlpatterns = [
    path("occurrences/<int:occurrence_id>.ics", views.occurrence_ics, name="occurrence"),
    path("feed/regenerate/", views.feed_regenerate, name="regenerate"),
    path("feed/<slug:secret>.ics", views.person_feed, name="person_feed"),
    path("feed/<slug:secret>/circles/<slug:slug>.ics", views.circle_feed, name="circle_feed"),
    path("feed/<slug:secret>/topics/<slug:slug>.ics", views.topic_feed, name="topic_feed"),
]
