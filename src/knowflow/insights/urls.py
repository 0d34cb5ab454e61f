from django.urls import path

from knowflow.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard_csv"),
    path("charts/<str:chart>.svg", views.chart_svg, name="chart"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:cluster_id>/decide/", views.duplicate_decide, name="duplicate_decide"),
    path("already-taught/", views.already_taught, name="already_taught"),
    path("expertise/", views.expertise, name="expertise"),
    path("expertise.csv", views.expertise_csv, name="expertise_csv"),
    path("gaps/", views.knowledge_gaps, name="gaps"),
    path("network/", views.network, name="network"),
    path("network.svg", views.network_svg, name="network_svg"),
    path("network/edges.csv", views.network_csv, name="network_csv"),
    path("map/", views.knowledge_map_page, name="knowledge_map"),
    path("map.svg", views.knowledge_map_svg, name="knowledge_map_svg"),
    path("what-works/", views.patterns, name="patterns"),
    path("run-again/<slug:slug>/", views.run_again, name="run_again"),
    path("run-again/<slug:slug>/propose/", views.run_again_propose, name="run_again_propose"),
    path("run-again/<slug:slug>/repeat/", views.run_again_repeat, name="run_again_repeat"),
    path("roi/", views.roi_list, name="roi_list"),
    path("roi/<int:study_id>/", views.roi_report, name="roi_report"),
    path("roi/<int:study_id>/trace/", views.roi_trace, name="roi_trace"),
    path("roi/<int:study_id>.csv", views.roi_csv, name="roi_csv"),
    path("roi/<int:study_id>/add/<str:what>/", views.roi_add, name="roi_add"),
    path("roi/<int:study_id>/versions/", views.roi_freeze, name="roi_freeze"),
    path("roi/<int:study_id>/versions/<int:number>/", views.roi_version, name="roi_version"),
]
