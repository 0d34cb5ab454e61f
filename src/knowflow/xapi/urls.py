from django.urls import path

from knowflow.xapi import views

app_name = "xapi"
urlpatterns = [path("", views.log, name="log")]
