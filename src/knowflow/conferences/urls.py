from django.urls import path

from knowflow.conferences import (
    manage_views,
    planning_views,
    proposal_views,
    report_views,
    review_views,
    views,
)

app_name = "conferences"
urlpatterns = [
    path("", views.conference_list, name="list"),
    path("new/", manage_views.conference_new, name="new"),
    path("<slug:slug>/", views.programme, name="programme"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/manage/", manage_views.manage, name="manage"),
    path("<slug:slug>/talks/<str:guid>/star/", views.star, name="star"),
    path("<slug:slug>/report/", report_views.report, name="report"),
    path("<slug:slug>/cfp/", proposal_views.call, name="call"),
    path("<slug:slug>/cfp/settings/", proposal_views.call_settings, name="call_settings"),
    path("<slug:slug>/cfp/proposals/", proposal_views.proposal_list, name="proposal_list"),
    path("<slug:slug>/cfp/new/", proposal_views.proposal_new, name="proposal_new"),
    path("<slug:slug>/cfp/wanted/", proposal_views.wanted, name="wanted"),
    path("<slug:slug>/cfp/<int:pk>/want/", proposal_views.want, name="want"),
    path("<slug:slug>/cfp/<int:pk>/edit/", proposal_views.proposal_edit, name="proposal_edit"),
    path(
        "<slug:slug>/cfp/<int:pk>/withdraw/",
        proposal_views.proposal_withdraw,
        name="proposal_withdraw",
    ),
    path("<slug:slug>/cfp/<int:pk>/cospeak/", proposal_views.cospeak, name="cospeak"),
    path("<slug:slug>/plan/", planning_views.plan, name="plan"),
    path("<slug:slug>/plan/drafts/<int:pk>/", planning_views.draft, name="draft"),
    path("<slug:slug>/review/", review_views.review_home, name="review"),
    path("<slug:slug>/review/ranking/", review_views.ranking, name="review_ranking"),
    path("<slug:slug>/review/mine/", review_views.mine, name="review_mine"),
    path(
        "<slug:slug>/review/proposals/<int:pk>/",
        review_views.review_proposal,
        name="review_proposal",
    ),
    path(
        "<slug:slug>/review/proposals/<int:pk>/abstract/",
        review_views.abstract,
        name="review_abstract",
    ),
    path(
        "<slug:slug>/review/proposals/<int:pk>/decide/",
        review_views.decide,
        name="review_decide",
    ),
]
