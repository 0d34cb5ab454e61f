"""``knowflow search``: the JSON contract (single query and --batch), parsed as JSON."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from knowflow.library.importers import talks_import
from knowflow.library.talk_archive import read_talks_jsonl
from tests.library.test_importers import TALK

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(tmp_path):
    lines = [
        TALK,
        {
            **TALK,
            "id": "pycon-x/cooking",
            "title": "Cooking with Python",
            "tags": ["food"],
            "description": "Recipes.",
        },
    ]
    path = tmp_path / "talks.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    talks_import(talks=read_talks_jsonl(path, []), errors=[])
    return path


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("search", *args, stdout=out)
    return out.getvalue()


def test_search_json_prints_ranked_results_with_external_ids(corpus, capsys):
    results = json.loads(_run("testing in layers", "--json", "--type", "session", "--limit", "5"))

    assert [(r["type"], r["title"], r["external_id"]) for r in results] == [
        ("session", "Testing in Layers", "pycon-x/testing-in-layers")
    ]
    assert sorted(results[0]) == ["external_id", "id", "score", "title", "type"]
    assert isinstance(results[0]["id"], int) and results[0]["score"] > 0


def test_search_json_gives_null_external_id_for_things_not_imported(corpus):
    results = json.loads(_run("alex martelli", "--json", "--type", "person"))

    assert [(r["type"], r["title"], r["external_id"]) for r in results] == [
        ("person", "Alex Martelli", None)
    ]


def test_search_batch_prints_one_line_per_query_in_order(corpus, tmp_path, capsys):
    batch = tmp_path / "queries.jsonl"
    batch.write_text(
        '{"qid": "q1", "query": "cooking"}\n'
        "not json\n"
        '{"qid": 7, "query": "layers"}\n'
        '{"qid": "q3", "query": "((( NEAR \\"*"}\n'
    )

    call_command("search", "--batch", str(batch), "--limit", "1")

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["qid"], [r["external_id"] for r in line["results"]]) for line in lines] == [
        ("q1", ["pycon-x/cooking"]),
        (None, []),
        (7, ["pycon-x/testing-in-layers"]),
        ("q3", []),
    ]
    assert lines[1]["error"].startswith("line 2: ")


def test_search_refuses_an_unknown_type(corpus):
    with pytest.raises(CommandError, match="Unknown type 'video'"):
        _run("x", "--type", "video")
