"""Captions of recordings: reading WebVTT and SubRip, refusing bad files, finding a recording
by what was said (the hit links to the moment), replacing and removing, the transcript."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from knowflow.accounts.services import api_token_create
from knowflow.errors import Forbidden
from knowflow.library import services
from knowflow.library.captions import (
    MAX_CAPTION_BYTES,
    CaptionsRefused,
    Cue,
    moment_url,
    parse_captions,
    passages,
    timestamp,
)
from knowflow.library.models import CaptionPassage, RecordingCaptions, Resource
from knowflow.library.selectors import SearchRequest, search_everything
from knowflow.search.models import SearchDocument
from tests.conftest import signed_in
from tests.events.test_views import messages_of
from tests.factories import make_person, make_session

FILES = Path(__file__).parent / "captions"


def _file(name: str) -> bytes:
    return (FILES / name).read_bytes()


# --- reading the formats ---------------------------------------------------------------------


def test_parse_vtt_reads_cues_skips_notes_and_styles_and_strips_markup():
    kind, cues = parse_captions(_file("talk.vtt"))

    assert kind == "vtt"
    assert cues == [
        Cue(0, 4500, "Welcome everyone to this session on profiling."),
        Cue(4500, 9000, "Today we look at why code is slow & what to do."),
        Cue(31000, 36000, "First tool: cProfile, it ships with Python."),
        Cue(65250, 72000, "Flame graphs show where the time goes."),
        Cue(754000, 760000, "Sampling profilers such as py-spy attach to a running processalert(1)."),
        Cue(760000, 765000, "No restart needed, which matters in production."),
    ]  # fmt: skip


def test_parse_srt_reads_crlf_multiline_cues_and_strips_tags_and_placement_codes():
    kind, cues = parse_captions(_file("clinic.srt"))

    assert kind == "srt"
    assert cues == [
        Cue(1000, 4000, "Bonjour and welcome to the database clinic."),
        Cue(4000, 8500, "Today: slow queries in PostgreSQL."),
        Cue(123000, 129000, "An index on the foreign key turned a seq scan into milliseconds."),
        Cue(3723500, 3727000, "Vacuum keeps the table healthy."),
    ]


def test_encoded_tags_in_cue_text_do_not_survive_as_markup():
    _, cues = parse_captions(
        b"WEBVTT\n\n00:01.000 --> 00:02.000\n&lt;img src=x onerror=alert(1)&gt;hi\n"
    )

    assert cues == [Cue(1000, 2000, "hi")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The captions file is empty."),
        (b"\xff\xfeW\x00E\x00", "The captions file is not UTF-8 text: save it as UTF-8 and upload it again."),
        (b"Hello there", "This is neither a WebVTT file (it starts with “WEBVTT”) nor a SubRip file (it starts with the cue number 1)."),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nhi\n", "Line 1: a WebVTT file starts with the line “WEBVTT”."),
        (b"WEBVTT\n\n00:01.000 -> 00:02.000\nhi\n", "Line 3: expected a timing line such as “00:01.000 --> 00:04.000”."),
        (b"WEBVTT\n\n00:01,000 --> 00:02,000\nhi\n", "Line 3: “00:01,000 --> 00:02,000” is not a WebVTT timing line (such as “00:01:02.500 --> 00:01:05.000”)."),
        (b"WEBVTT\n\n00:05.000 --> 00:02.000\nhi\n", "Line 3: the cue ends before it starts."),
        (b"WEBVTT\n\n00:05.000 --> 00:06.000\nb\n\n00:02.000 --> 00:03.000\na\n", "Line 6: this cue starts before the one above it; cues must be in time order."),
        (b"WEBVTT\n\n25:00:00.000 --> 25:00:01.000\nlate\n", "Line 3: the time is past 24 hours."),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\n<i></i>\n", "The captions file holds no cue with text."),
        (b"1\n00:00:01.000 --> 00:00:02.000\nhi\n", "Line 2: “00:00:01.000 --> 00:00:02.000” is not a SubRip timing line (such as “00:01:02,500 --> 00:01:05,000”)."),
        (b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\nsecond\n00:00:03,000 --> 00:00:04,000\nho\n", "Line 5: expected a cue number, then a timing line such as “00:00:01,000 --> 00:00:04,000”."),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\n" + b"x" * 1001 + b"\n", "Line 3: a cue holds more than 1000 characters."),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_a_message_saying_where(data, message):
    with pytest.raises(CaptionsRefused) as refused:
        parse_captions(data)

    assert refused.value.message == message


def test_too_many_cues_are_refused():
    cues = "".join(
        f"{i}\n00:00:{i // 1000 % 60:02d},{i % 1000:03d} --> 01:00:00,000\nw\n\n"
        for i in range(1, 20_002)
    )

    with pytest.raises(CaptionsRefused) as refused:
        parse_captions(cues.encode())

    assert refused.value.message == "The captions file holds more than 20,000 cues."


def test_passages_group_cues_into_thirty_second_windows():
    _, cues = parse_captions(_file("talk.vtt"))

    assert [(p.start_ms, p.end_ms, p.text[:24]) for p in passages(cues)] == [
        (0, 9000, "Welcome everyone to this"),
        (31000, 36000, "First tool: cProfile, it"),
        (65250, 72000, "Flame graphs show where "),
        (754000, 765000, "Sampling profilers such "),
    ]


def test_moment_urls_use_each_players_own_start():
    assert moment_url("https://www.youtube.com/watch?v=abc&t=5", 754_900) == (
        "https://www.youtube.com/watch?v=abc&t=754"
    )
    assert moment_url("https://youtu.be/abc", 65_000) == "https://youtu.be/abc?t=65"
    assert moment_url("https://vimeo.com/123#x", 65_000) == "https://vimeo.com/123#t=65s"
    assert moment_url("https://media.example.org/talk.mp4", 65_000) == (
        "https://media.example.org/talk.mp4#t=65"
    )
    assert (timestamp(754_000), timestamp(3_723_500)) == ("12:34", "1:02:03")


# --- upload, search, replace, remove ---------------------------------------------------------


@pytest.fixture
def speaker():
    return make_person(name="Ana Ortiz")


@pytest.fixture
def recording(speaker) -> Resource:
    session = make_session(speakers=[speaker], title="Making Python fast")
    return services.resource_create(
        actor=make_person(role="enabler"),
        kind="recording",
        title="Making Python fast (recording)",
        description="The spring meetup talk.",
        url="https://www.youtube.com/watch?v=abc123",
        session=session,
    )


def _upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else _file(name))


def _search(text: str, **request: object) -> list[tuple[str, int, str, str]]:
    page = search_everything(viewer=None, request=SearchRequest(text=text, **request))  # type: ignore[arg-type]
    return [(h.kind, h.object_id, h.moment_label, h.moment_url) for h in page.hits]


@pytest.mark.django_db
def test_search_finds_a_recording_by_what_was_said_and_links_to_the_moment(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))

    page = search_everything(viewer=None, request=SearchRequest(text="py-spy running process"))

    assert [(h.kind, h.object_id, h.title) for h in page.hits] == [
        ("resource", recording.pk, "Making Python fast (recording)")
    ]
    hit = page.hits[0]
    assert (hit.moment_label, hit.moment_url) == (
        "at 12:34",
        "https://www.youtube.com/watch?v=abc123&t=754",
    )
    assert hit.snippet_html.startswith(
        "Sampling profilers such as <mark>py</mark>-<mark>spy</mark>"
    )
    assert "<script>" not in hit.snippet_html


@pytest.mark.django_db
def test_a_session_found_by_its_description_carries_the_spoken_moment(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))

    assert _search("python flame graphs") == [
        ("session", recording.session_id, "at 1:05", "https://www.youtube.com/watch?v=abc123&t=65")
    ]


@pytest.mark.django_db
def test_one_result_per_recording_and_passages_are_not_a_search_type(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))

    page = search_everything(
        viewer=None, request=SearchRequest(text="profiling profilers production"), facets=True
    )

    assert [(h.kind, h.object_id) for h in page.hits] == [("resource", recording.pk)]
    assert page.results.total == 1
    assert [(f.value, f.count) for f in page.facets["type"]] == [("resource", 1)]
    assert _search("py-spy", types=("resource",))[0][:3] == ("resource", recording.pk, "at 12:34")
    assert _search("py-spy", types=("session",)) == []


@pytest.mark.django_db
def test_uploading_again_replaces_the_indexed_text(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("clinic.srt"))

    assert _search("py-spy") == []
    assert _search("seq scan") == [
        ("resource", recording.pk, "at 2:03", "https://www.youtube.com/watch?v=abc123&t=123")
    ]
    captions = RecordingCaptions.objects.get(resource=recording)
    assert (captions.file_name, captions.format, captions.cue_count) == ("clinic.srt", "srt", 4)
    assert SearchDocument.objects.filter(kind="passage").count() == 3


@pytest.mark.django_db
def test_removing_the_captions_or_the_recording_takes_the_spoken_text_out_of_search(
    speaker, recording
):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))
    services.captions_delete(resource=recording, actor=speaker)

    assert _search("py-spy") == []
    assert SearchDocument.objects.filter(kind="passage").count() == 0

    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))
    services.resource_delete(resource=recording, actor=speaker)

    assert SearchDocument.objects.filter(kind="passage").count() == 0
    assert CaptionPassage.objects.count() == 0


@pytest.mark.django_db
def test_a_refused_file_changes_nothing(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))

    with pytest.raises(CaptionsRefused):
        services.captions_upload(
            resource=recording,
            actor=speaker,
            upload=_upload("bad.vtt", b"WEBVTT\n\n00:05.000 --> 00:02.000\nseq scan\n"),
        )
    with pytest.raises(CaptionsRefused) as too_large:
        services.captions_upload(
            resource=recording, actor=speaker, upload=_upload("big.vtt", b"W" * (MAX_CAPTION_BYTES + 1))
        )  # fmt: skip

    assert too_large.value.message == "The captions file is larger than 2 MB."
    assert RecordingCaptions.objects.get(resource=recording).file_name == "talk.vtt"
    assert _search("py-spy")[0][:3] == ("resource", recording.pk, "at 12:34")
    assert _search("seq scan") == []


@pytest.mark.django_db
def test_only_the_speakers_and_editors_may_change_captions(speaker, recording):
    member = make_person(name="Someone Else")

    with pytest.raises(Forbidden) as refused:
        services.captions_upload(resource=recording, actor=member, upload=_upload("talk.vtt"))
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))
    with pytest.raises(Forbidden):
        services.captions_delete(resource=recording, actor=member)

    assert refused.value.message == (
        "Only the recording's speakers, owner, authors, its circle's champions and enablers "
        "can change its captions."
    )
    assert RecordingCaptions.objects.get(resource=recording).uploaded_by == speaker


@pytest.mark.django_db
def test_captions_go_only_with_recordings(speaker):
    slides = services.resource_create(
        actor=speaker, kind="slides", title="Slides", url="https://example.org/s.pdf"
    )

    with pytest.raises(Exception) as refused:
        services.captions_upload(resource=slides, actor=speaker, upload=_upload("talk.vtt"))

    assert refused.value.message == "Captions go with a recording; this resource is not one."
    assert RecordingCaptions.objects.count() == 0


@pytest.mark.django_db
def test_moving_the_recording_to_no_session_regroups_its_passages(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))
    services.resource_update(resource=recording, actor=speaker, session=None)

    keys = set(SearchDocument.objects.filter(kind="passage").values_list("group_key", flat=True))
    assert keys == {f"resource:{recording.pk}"}


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_speaker_uploads_captions_and_the_page_shows_the_transcript(speaker, recording):
    client = signed_in(speaker)

    form = client.get(f"/library/{recording.slug}/captions/")
    with (FILES / "talk.vtt").open("rb") as handle:
        response = client.post(f"/library/{recording.slug}/captions/", {"captions": handle})
    page = client.get(response["Location"])

    assert form.status_code == 200
    assert response["Location"] == f"/library/{recording.slug}/"
    assert messages_of(page.content.decode()) == [
        "Captions saved: 6 lines. Search now finds this recording by what was said."
    ]
    lines = page.context["transcript"].lines
    assert [(line.label, line.url, line.text) for line in lines[-2:]] == [
        ("12:34", "https://www.youtube.com/watch?v=abc123&t=754",
         "Sampling profilers such as py-spy attach to a running processalert(1)."),
        ("12:40", "https://www.youtube.com/watch?v=abc123&t=760",
         "No restart needed, which matters in production."),
    ]  # fmt: skip
    html = page.content.decode()
    assert (
        '<li id="t-754"><a href="https://www.youtube.com/watch?v=abc123&amp;t=754" '
        'rel="noopener noreferrer nofollow" aria-label="Play from 12:34">12:34</a>'
        "<span>Sampling profilers such as py-spy attach to a running processalert(1).</span></li>"
    ) in html
    assert "<script>alert" not in html


@pytest.mark.django_db
def test_a_bad_file_on_the_page_shows_the_reason_and_saves_nothing(speaker, recording):
    client = signed_in(speaker)

    response = client.post(
        f"/library/{recording.slug}/captions/",
        {"captions": SimpleUploadedFile("x.srt", b"1\n00:00:05,000 --> 00:00:01,000\nhi\n")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "captions": ["Line 2: the cue ends before it starts."]
    }
    assert RecordingCaptions.objects.count() == 0


@pytest.mark.django_db
def test_members_see_the_transcript_but_cannot_reach_the_captions_form(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("clinic.srt"))
    client = signed_in(make_person())

    page = client.get(f"/library/{recording.slug}/")
    form = client.get(f"/library/{recording.slug}/captions/")
    post = client.post(f"/library/{recording.slug}/captions/delete/")

    assert page.context["can_manage_captions"] is False
    assert [line.label for line in page.context["transcript"].lines] == [
        "0:01",
        "0:04",
        "2:03",
        "1:02:03",
    ]
    assert "Replace or remove the captions" not in page.content.decode()
    assert form.status_code == 403
    assert post.status_code == 302
    assert RecordingCaptions.objects.count() == 1


@pytest.mark.django_db
def test_search_page_shows_the_moment_link(speaker, recording):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("clinic.srt"))
    client = signed_in(make_person())

    html = client.get("/search/", {"q": "vacuum"}).content.decode()

    assert (
        'Said <a href="https://www.youtube.com/watch?v=abc123&amp;t=3723" '
        'rel="noopener noreferrer nofollow">at 1:02:03</a> in the recording'
    ) in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "allowed"),
    [("speaker", True), ("enabler", True), ("author", True), ("member", False), ("leader", False)],
)
def test_who_may_upload_captions_on_the_page(speaker, recording, who, allowed):
    people = {
        "speaker": speaker,
        "enabler": make_person(role="enabler"),
        "author": make_person(),
        "member": make_person(),
        "leader": make_person(role="leader"),
    }
    recording.authors.add(people["author"])
    client = signed_in(people[who])

    with (FILES / "clinic.srt").open("rb") as handle:
        response = client.post(f"/library/{recording.slug}/captions/", {"captions": handle})

    assert response.status_code == (302 if allowed else 403)
    assert RecordingCaptions.objects.filter(resource=recording).exists() is allowed
    if not allowed:
        assert (
            "Only the recording&#x27;s speakers, owner, authors, its circle&#x27;s champions and "
            "enablers can change its captions."
        ) in response.content.decode()


@pytest.mark.django_db
def test_search_batch_reports_a_spoken_hit_as_its_recording(speaker, recording, tmp_path, capsys):
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("clinic.srt"))
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"qid": "q1", "query": "seq scan foreign key"}\n')

    call_command("search", "--batch", str(queries))

    answer = json.loads(capsys.readouterr().out)
    scores = [result.pop("score") for result in answer["results"]]
    assert answer == {
        "qid": "q1",
        "results": [
            {
                "type": "resource",
                "id": recording.pk,
                "title": "Making Python fast (recording)",
                "external_id": None,
            }
        ],
    }
    assert scores[0] > 0


@pytest.mark.django_db
def test_api_uploads_reads_and_removes_captions(speaker, recording):
    _, secret = api_token_create(person=speaker, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/library/resources/{recording.pk}/captions"

    refused = client.post(url, {"captions": SimpleUploadedFile("x.vtt", b"WEBVTT\n\nnonsense\n")})
    with (FILES / "clinic.srt").open("rb") as handle:
        uploaded = client.post(url, {"captions": handle})
    read = client.get(url)
    search = client.get("/api/v1/library/search", {"q": "vacuum"})
    removed = client.delete(url)
    gone = client.get(url)

    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "Line 3: expected a timing line such as “00:01.000 --> 00:04.000”."
    )
    assert uploaded.status_code == 200
    assert uploaded.json() == read.json()
    body = read.json()
    assert (body["format"], body["cue_count"], body["duration"]) == ("srt", 4, 3727.0)
    assert body["cues"][2] == {
        "start": 123.0,
        "end": 129.0,
        "text": "An index on the foreign key turned a seq scan into milliseconds.",
        "url": "https://www.youtube.com/watch?v=abc123&t=123",
    }
    [hit] = search.json()["results"]
    assert (hit["type"], hit["id"], hit["moment_label"], hit["moment_url"]) == (
        "resource",
        recording.pk,
        "at 1:02:03",
        "https://www.youtube.com/watch?v=abc123&t=3723",
    )
    assert removed.status_code == 204
    assert gone.status_code == 404
    assert gone.json()["detail"] == "This recording has no captions."


@pytest.mark.django_db
def test_api_refuses_captions_from_a_member(recording):
    _, secret = api_token_create(person=make_person(), name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    with (FILES / "clinic.srt").open("rb") as handle:
        response = client.post(
            f"/api/v1/library/resources/{recording.pk}/captions", {"captions": handle}
        )

    assert response.status_code == 403
    assert RecordingCaptions.objects.count() == 0


@pytest.mark.django_db
def test_a_recording_whose_old_link_is_not_a_web_link_never_links_the_moment_to_it(
    speaker, recording
):
    # Written around the services (an old row): the services refuse such a link today.
    Resource.objects.filter(pk=recording.pk).update(url="javascript:alert(1)//")
    services.captions_upload(resource=recording, actor=speaker, upload=_upload("talk.vtt"))
    slug = Resource.objects.get(pk=recording.pk).slug

    (hit,) = search_everything(
        viewer=None, request=SearchRequest(text="py-spy running process")
    ).hits
    html = signed_in(speaker).get(f"/library/{slug}/").content.decode()

    assert hit.moment_url == f"/library/{slug}/#t-754"
    assert "javascript:" not in html
