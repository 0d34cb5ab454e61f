"""``knowflow experts``: the JSON contract (one query and --batch), parsed as JSON."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from knowflow.expertise import services
from knowflow.search.engine import invalidate
from tests.factories import make_occurrence, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def experts():
    sql = make_topic("SQL")
    teacher, declarer, shy = (make_person(name=n) for n in ("Tess", "Dee", "Shy"))
    declarer.skills.add(sql)
    for person in (teacher, shy):
        session = make_session(speakers=[person], title="Joins")
        session.topics.add(sql)
        make_occurrence(session=session, start=timezone.now() - timedelta(days=30))
    services.expert_opt_out(person=shy, actor=shy)
    invalidate()
    return sql


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("experts", *args, stdout=out)
    return out.getvalue()


def test_experts_json_prints_names_scores_and_evidence(experts):
    results = json.loads(_run("sql", "--json", "--limit", "5"))

    month = (timezone.now() - timedelta(days=30)).strftime("%B %Y")
    assert [(r["name"], r["evidence"]) for r in results] == [
        ("Tess", [f"taught 1 session on SQL, last in {month}"]),
        ("Dee", ["says they know SQL"]),
    ]
    assert sorted(results[0]) == ["evidence", "name", "score"]
    assert results[0]["score"] > results[1]["score"] > 0


def test_experts_batch_answers_in_order_and_goes_on_after_a_bad_line(experts, tmp_path, capsys):
    path = tmp_path / "queries.jsonl"
    path.write_text(
        '{"qid": "a", "query": "SQL"}\n'
        "not json\n"
        '{"qid": "b", "query": 3}\n'
        "\n"
        '{"qid": "c", "query": "cooking"}\n'
    )

    _run("--batch", str(path), "--limit", "1")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert [line["qid"] for line in lines] == ["a", None, None, "c"]
    assert [[r["name"] for r in line["results"]] for line in lines] == [["Tess"], [], [], []]
    assert lines[1]["error"].startswith("line 2: ")
    assert lines[2]["error"] == 'line 3: each line needs {"qid": …, "query": "…"}'
    assert "error" not in lines[0] and "error" not in lines[3]


def test_experts_refuses_a_bad_limit_and_a_missing_query():
    with pytest.raises(CommandError, match="--limit must be between 1 and 1000."):
        _run("sql", "--limit", "0")
    with pytest.raises(CommandError, match="Give a query"):
        _run()
