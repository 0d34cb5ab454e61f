"""Topic pages: the taxonomy, and for each topic everything filed under it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from knowflow.library.selectors import collection_list
from knowflow.topics import selectors


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    return render(request, "topics/list.html", {"topics": selectors.topic_overview()})


@login_required
def topic_page(request: HttpRequest, slug: str) -> HttpResponse:
    topic = selectors.topic_detail(slug=slug)
    return render(
        request,
        "topics/topic.html",
        {
            "topic": topic,
            "collections": collection_list(topic=topic.slug)[:50],
        },
    )
