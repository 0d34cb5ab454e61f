"""Search that understands people, end to end: a small talk archive imported with
``knowflow import talks`` and searched with ``knowflow search --batch``, and the page's notice."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db

TALKS = [
    (
        "orm",
        "Making the Django ORM fast",
        "Query optimisation with select_related and indexes in Django.",
    ),
    ("admin", "Django admin tricks", "Customising the Django admin for editors."),
    (
        "k8s",
        "Running Python on Kubernetes",
        "Deployment of web services on a Kubernetes cluster with Helm.",
    ),
    ("kops", "Kubernetes operators in Python", "Writing a Kubernetes operator with kopf."),
    ("a11y", "Accessibility for web developers", "Screen readers and accessible forms."),
    ("profile", "Profiling slow code", "Finding hot spots with cProfile and py-spy."),
    ("pandas", "Pandas for spreadsheets people", "Dataframes instead of Excel."),
    ("tests", "Testing with pytest", "Fixtures and parametrisation."),
]


def _archive(tmp_path: Path) -> Path:
    path = tmp_path / "talks.jsonl"
    lines = [
        json.dumps(
            {
                "id": f"conf/{key}",
                "title": title,
                "description": description,
                "speakers": [f"Speaker {key}"],
                "event": {"slug": "conf", "title": "Conf"},
                "recorded": "2020-05-01",
                "language": "eng",
                "tags": [],
                "duration": None,
                "video_url": f"https://video.example.org/{key}",
                "video_license": None,
            }
        )  # fmt: skip
        for key, title, description in TALKS
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _batch(tmp_path: Path, queries: list[str]) -> list[list[str]]:
    path = tmp_path / "queries.jsonl"
    path.write_text(
        "".join(json.dumps({"qid": i, "query": q}) + "\n" for i, q in enumerate(queries))
    )
    out = StringIO()
    import sys

    real, sys.stdout = sys.stdout, out  # the batch writes to the process's stdout
    try:
        call_command("search", batch=path, limit=3, type=["session"])
    finally:
        sys.stdout = real
    return [
        [r["external_id"] for r in json.loads(line)["results"]]
        for line in out.getvalue().splitlines()
    ]


def test_misspelled_abbreviated_and_question_queries_find_the_talk(tmp_path):
    call_command("import_talks", str(_archive(tmp_path)), quiet=True, stdout=StringIO())

    found = _batch(
        tmp_path,
        ["djnago orm optimisation", "k8s deployment", "a11y", "how do I profile slow python code"],
    )

    assert [ids[0] for ids in found] == ["conf/orm", "conf/k8s", "conf/a11y", "conf/profile"]


def test_search_page_says_what_it_searched_instead_and_links_to_what_was_typed(tmp_path):
    call_command("import_talks", str(_archive(tmp_path)), quiet=True, stdout=StringIO())
    client = signed_in(make_person())

    response = client.get("/search/", {"q": "kuberntes"})

    assert response.context["page"].results.corrected_query == "kubernetes"
    body = response.content.decode()
    assert (
        '<p class="notice">Showing results for <strong>kubernetes</strong> (searched instead of '
        '<em>kuberntes</em>). <a href="?q=kuberntes&amp;literal=1">Search for <em>kuberntes</em> '
        "as typed</a></p>"
    ) in body

    literal = client.get("/search/", {"q": "kuberntes", "literal": "1"})

    assert literal.context["page"].results.corrected_query == ""
    assert literal.context["page"].hits == []
