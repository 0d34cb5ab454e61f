"""Importing talks (JSON Lines, gzip, pyvideo): idempotent, broken lines reported, real corpus."""

from __future__ import annotations

import gzip
import io
import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle
from knowflow.discovery.text import phrase_key
from knowflow.events.models import Occurrence, Session
from knowflow.feedback.models import SessionTally
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.library.importers import talks_import
from knowflow.library.models import Resource
from knowflow.library.selectors import SearchRequest, search_everything
from knowflow.library.talk_archive import LineError, read_talks_jsonl
from knowflow.search.models import SearchDocument
from knowflow.topics.models import Topic
from tests.feedback.helpers import GOOD, attend, open_requests, people

pytestmark = pytest.mark.django_db

TALK = {
    "id": "pycon-x/testing-in-layers",
    "title": "Testing in Layers",
    "description": "Unit tests, integration tests and end-to-end tests.",
    "speakers": ["Alex Martelli"],
    "event": {"slug": "pycon-x", "title": "PyCon X"},
    "recorded": "2017-03-16",
    "language": "eng",
    "tags": ["testing", "TDD", "test driven development"],
    "duration": 1800,
    "video_url": "https://www.youtube.com/watch?v=abc",
    "video_license": "CC BY",
}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_talk_becomes_session_occurrence_people_circle_topics_and_recording(tmp_path):
    path = _write(tmp_path / "talks.jsonl", [json.dumps(TALK)])

    call_command("import_talks", str(path), "--quiet", stdout=io.StringIO(), stderr=io.StringIO())

    session = Session.objects.get()
    assert (session.title, session.status, session.format, session.language) == (
        "Testing in Layers",
        "done",
        "talk",
        "en",
    )
    assert [p.display_name for p in session.speakers.all()] == ["Alex Martelli"]
    assert Person.objects.get().user is None
    assert session.circle == Circle.objects.get(name="PyCon X")
    occurrence = Occurrence.objects.get()
    assert (occurrence.start.isoformat(), occurrence.duration_minutes, occurrence.online_url) == (
        "2017-03-16T12:00:00+00:00",
        30,
        "https://www.youtube.com/watch?v=abc",
    )
    recording = Resource.objects.get()
    assert (recording.kind, recording.external_id, recording.session, recording.licence) == (
        "recording",
        "pycon-x/testing-in-layers",
        session,
        "CC BY",
    )
    topics = {t.name: t.synonyms for t in session.topics.all()}
    assert topics == {"testing": [], "test driven development": ["tdd"]}


def test_import_twice_updates_and_never_duplicates(tmp_path):
    path = _write(tmp_path / "talks.jsonl", [json.dumps(TALK)])
    out = io.StringIO()
    call_command("import_talks", str(path), "--quiet", stdout=out, stderr=io.StringIO())
    changed = {
        **TALK,
        "title": "Testing in Layers (revised)",
        "speakers": ["Alex Martelli", "Anna Ravenscroft"],
    }
    _write(path, [json.dumps(changed)])

    call_command("import_talks", str(path), "--quiet", stdout=out, stderr=io.StringIO())

    assert Session.objects.count() == Resource.objects.count() == Occurrence.objects.count() == 1
    assert Session.objects.get().title == "Testing in Layers (revised)"
    assert sorted(Person.objects.values_list("display_name", flat=True)) == [
        "Alex Martelli",
        "Anna Ravenscroft",
    ]
    assert SearchDocument.objects.filter(kind="session").count() == 1
    assert out.getvalue().splitlines()[-1].startswith("0 talks created, 1 updated, 0 lines skipped")


def test_reimported_talk_takes_the_feedback_of_its_replaced_date_out_of_the_session(tmp_path):
    # Importing a talk again replaces its date; the answers given for the old date go with it,
    # so the programme's per-session count must not still show them.
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    path = _write(tmp_path / "talks.jsonl", [json.dumps({**TALK, "recorded": yesterday})])
    call_command("import_talks", str(path), "--quiet", stdout=io.StringIO(), stderr=io.StringIO())
    occurrence = Occurrence.objects.get()
    attend(occurrence, people(5))
    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=GOOD)
    responses_per_session = SessionTally.objects.values_list("session_id").annotate(
        Sum("responses")
    )
    assert dict(responses_per_session.order_by()) == {occurrence.session_id: 5}

    call_command("import_talks", str(path), "--quiet", stdout=io.StringIO(), stderr=io.StringIO())

    assert Occurrence.objects.get().pk != occurrence.pk
    assert dict(responses_per_session.order_by()) == {}


def test_import_reports_broken_lines_with_numbers_and_imports_the_good_ones(tmp_path):
    good2 = {**TALK, "id": "pycon-x/other", "title": "Another talk"}
    path = _write(
        tmp_path / "talks.jsonl",
        [
            json.dumps(TALK),
            '{"id": "broken", "title": ',
            json.dumps({**TALK, "id": "no-title", "title": ""}),
            json.dumps({**TALK, "id": "bad-date", "recorded": "yesterday"}),
            json.dumps(good2),
            "[1, 2, 3]",
        ],
    )
    err = io.StringIO()

    call_command("import_talks", str(path), "--quiet", stdout=io.StringIO(), stderr=err)

    assert sorted(Session.objects.values_list("title", flat=True)) == [
        "Another talk",
        "Testing in Layers",
    ]
    assert err.getvalue().splitlines() == [
        f"{path}: line 2: not valid JSON (Expecting value at column 26)",
        f"{path}: line 3: 'title' is missing",
        f"{path}: line 4: 'recorded' is not a date like 2017-03-16: 'yesterday'",
        f"{path}: line 6: a talk must be a JSON object",
    ]


def test_imported_talk_is_found_with_its_external_id(tmp_path):
    errors: list[LineError] = []
    talks_import(
        talks=read_talks_jsonl(_write(tmp_path / "t.jsonl", [json.dumps(TALK)]), errors),
        errors=errors,
    )

    page = search_everything(viewer=None, request=SearchRequest(text="tdd", types=("session",)))

    assert [(h.kind, h.external_id) for h in page.hits] == [
        ("session", "pycon-x/testing-in-layers")
    ]


def _pyvideo(root: Path) -> Path:
    """A tiny checkout in the pyvideo data layout."""
    event = root / "pycon-x"
    (event / "videos").mkdir(parents=True)
    (event / "category.json").write_text(json.dumps({"title": "PyCon X"}))
    video = {
        "title": "Testing in Layers",
        "description": "Unit tests.",
        "speakers": ["Alex Martelli"],
        "recorded": "2017-03-16",
        "tags": ["testing"],
        "videos": [{"type": "youtube", "url": "https://www.youtube.com/watch?v=abc"}],
        "language": "eng",
        "duration": 1800,
        "slug": "testing-in-layers",
        "copyright_text": "CC BY",
    }
    (event / "videos" / "testing-in-layers.json").write_text(json.dumps(video))
    (event / "videos" / "zz-broken.json").write_text("{not json")
    return root


def test_import_pyvideo_checkout_shares_ids_with_the_jsonl_corpus(tmp_path):
    path = _write(tmp_path / "talks.jsonl", [json.dumps(TALK)])
    call_command("import_talks", str(path), "--quiet", stdout=io.StringIO(), stderr=io.StringIO())
    err = io.StringIO()

    call_command(
        "import_pyvideo",
        str(_pyvideo(tmp_path / "pyvideo")),
        "--quiet",
        stdout=io.StringIO(),
        stderr=err,
    )

    assert Session.objects.count() == 1
    assert Session.objects.get().abstract == "Unit tests."
    assert err.getvalue().splitlines() == [
        "pycon-x/videos/zz-broken.json: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"
    ]


def test_import_real_corpus_slice_groups_tag_synonyms(shared_dir, tmp_path):
    corpus = shared_dir / "data" / "talks.jsonl.gz"
    with gzip.open(corpus, "rt") as stream:
        lines = list(itertools.islice(stream, 300))
    path = _write(tmp_path / "slice.jsonl", [line.rstrip("\n") for line in lines])
    errors: list[LineError] = []

    report = talks_import(talks=read_talks_jsonl(path, errors), errors=errors)
    again = talks_import(talks=read_talks_jsonl(path, []), errors=[])

    assert (report.created, report.updated, report.errors) == (300, 0, [])
    assert (again.created, again.updated) == (0, 300)
    assert Session.objects.count() == Resource.objects.count() == 300
    keys = [phrase_key(name) for name in Topic.objects.values_list("name", flat=True)]
    assert len(keys) == len(set(keys)) > 0  # one topic per subject, however it was spelled


def test_import_resources_csv_is_idempotent_and_reports_bad_rows(tmp_path):
    Topic.objects.create(name="Security", slug="security", synonyms=["infosec"])
    path = tmp_path / "resources.csv"
    path.write_text(
        "title,kind,url,description,topics,authors,language,licence,external_id\n"
        "Threat models,article,https://e.org/tm,How we model threats.,infosec,Ada Lovelace,en,CC BY,tm-1\n"
        "No kind,,https://e.org/x,,,,,,\n"
        "Bad topic,article,https://e.org/y,,quantum,,,,\n"
        "Runbook,note,,Restart the thing.,,,,,rb-1\n"
    )
    err = io.StringIO()

    call_command("import_resources_csv", str(path), stdout=io.StringIO(), stderr=err)
    call_command("import_resources_csv", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert sorted(Resource.objects.values_list("title", "kind")) == [
        ("Runbook", "note"),
        ("Threat models", "article"),
    ]
    threat = Resource.objects.get(external_id="tm-1")
    assert (
        [t.name for t in threat.topics.all()],
        [p.display_name for p in threat.authors.all()],
    ) == (
        ["Security"],
        ["Ada Lovelace"],
    )
    assert err.getvalue().splitlines() == [
        f"{path}: line 3: 'kind' must be one of recording, slides, document, repository, article, note, not ''",
        f"{path}: line 4: unknown topic(s): quantum",
    ]


def test_export_library_writes_json_lines_a_parser_reads(tmp_path):
    path = _write(tmp_path / "talks.jsonl", [json.dumps(TALK)])
    call_command("import_talks", str(path), "--quiet", stdout=io.StringIO(), stderr=io.StringIO())
    out = tmp_path / "library.jsonl"

    call_command("export_library", str(out), stdout=io.StringIO())

    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["type"], r["kind"], r["external_id"], r["topics"]) for r in records] == [
        (
            "resource",
            "recording",
            "pycon-x/testing-in-layers",
            ["test driven development", "testing"],
        )
    ]
