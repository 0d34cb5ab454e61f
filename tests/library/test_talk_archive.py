"""Reading a talk archive: checked talks or numbered reasons, without a database.

No test here is marked ``django_db``: pytest-django refuses any query, so these tests also
prove that reading an archive touches no database.
"""

from __future__ import annotations

import gzip
import json

import pytest

from knowflow.library.talk_archive import (
    BadRecord,
    LineError,
    read_pyvideo,
    read_talks_jsonl,
    talk_from_record,
)
from tests.library.test_importers import TALK, _pyvideo


def test_read_talks_jsonl_reads_gzip_by_content(tmp_path):
    path = tmp_path / "talks.data"
    path.write_bytes(gzip.compress((json.dumps(TALK) + "\n").encode()))
    errors: list[LineError] = []

    talks = list(read_talks_jsonl(path, errors))

    assert ([t.id for t in talks], errors) == (["pycon-x/testing-in-layers"], [])


def test_read_pyvideo_gives_ids_event_and_video(tmp_path):
    errors: list[LineError] = []

    talks = list(read_pyvideo(_pyvideo(tmp_path), errors))

    assert [(t.id, t.event_title, t.video_url) for t in talks] == [
        ("pycon-x/testing-in-layers", "PyCon X", "https://www.youtube.com/watch?v=abc")
    ]


@pytest.mark.shared
def test_talk_from_record_normalises_language_length_speakers_and_tags():
    record = {
        **TALK,
        "title": "T" * 250,
        "speakers": ["Alex Martelli", " Alex Martelli ", "", "Anna Ravenscroft"],
        "language": "GER",
        "duration": 10 * 24 * 3600,
        "tags": ["Testing", " Testing ", "testing", "  "],
    }

    talk = talk_from_record(record, line=7)

    assert (talk.line, len(talk.title), talk.speakers, talk.language, talk.minutes) == (
        7,
        200,
        ("Alex Martelli", "Anna Ravenscroft"),
        "de",
        24 * 60,
    )
    # Spellings that differ only in case stay apart here: the taxonomy groups them.
    assert talk.tags == ("Testing", "testing")


def test_talk_from_record_refuses_a_link_that_is_not_a_web_address():
    with pytest.raises(BadRecord) as refused:
        talk_from_record({**TALK, "video_url": "javascript:alert(1)"}, line=1)

    assert str(refused.value) == "'video_url' is not a web address: 'javascript:alert(1)'"
