"""The exports at pretalx's addresses, /<conference>/schedule.json, .xml and .ics (and a member's
/<conference>/agenda.ics): included as
the last entry of the root URLconf, so they never shadow one of the site's own pages (and the
services refuse a conference slug that is one of their first words)."""

from django.urls import path

from knowflow.conferences import views

app_name = "conference_exports"
urlpatterns = [
    path("schedule.json", views.schedule_json, name="schedule_json"),
    path("schedule.xml", views.schedule_xml, name="schedule_xml"),
    path("schedule.ics", views.schedule_ics, name="schedule_ics"),
    path("agenda.ics", views.agenda_ics, name="agenda_ics"),
]
