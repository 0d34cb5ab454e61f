"""The organisation export: every model, uploaded files, anonymity kept, credentials only on
request, byte-identical after a round trip through an empty database, all-or-nothing import."""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.demo.generator import demo_load
from knowflow.events.attendance import occurrence_checkin_token
from knowflow.events.models import Occurrence, Session
from knowflow.feedback.defaults import seed_default_templates
from knowflow.feedback.demo import feedback_demo_load
from knowflow.feedback.models import Question, Response, ResponseAuthor, SurveyTemplate
from knowflow.feedback.services.retrospectives import retrospective_action_add, retrospective_save
from knowflow.insights import services as insights
from knowflow.insights.models import DuplicateCluster
from knowflow.integrations.org_data.scope import (
    CREDENTIALS,
    DERIVED,
    NOT_EXPORTED,
    exported_models,
    is_knowflow_model,
    unclassified_models,
)
from knowflow.integrations.services import calendar_feed_token_regenerate
from knowflow.library import services as library
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_enqueue
from knowflow.search.models import SearchDocument
from tests.factories import PASSWORD, make_circle, make_occurrence, make_person, make_session

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _export(path: Path, *flags: str) -> bytes:
    call_command("export_org", str(path), *flags)
    return path.read_bytes()


def _document(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return json.loads(zipped.read("data.json"))


def _blocks(data: bytes) -> dict[str, list[dict[str, Any]]]:
    return {block["model"]: block["rows"] for block in _document(data)["models"]}


def _empty_database() -> None:
    """What a new installation holds after `knowflow migrate`: nothing but the shipped
    survey templates (and the content types and permissions)."""
    call_command("flush", interactive=False, verbosity=0)
    seed_default_templates(
        template_model=SurveyTemplate, question_model=Question, now=timezone.now()
    )


def _realistic_organisation() -> dict[str, Any]:
    """The small demo with survey answers, plus what the demo does not make: an uploaded
    file, a collection, a learning path followed and ticked, an ROI study, a decided
    duplicate, a retrospective, credentials and search logs."""
    now = timezone.now()
    # A transactional test before this one emptied the table the data migration fills.
    seed_default_templates(template_model=SurveyTemplate, question_model=Question, now=now)
    demo_load(seed=3, size="small", now=now, with_feedback=False)
    feedback_demo_load(rng=random.Random(3), now=now, max_responses=40)
    enabler = Person.objects.get(user__username="enabler")
    member = Person.objects.get(user__username="member")
    deck = library.resource_create(
        actor=enabler,
        kind="slides",
        title="Platform deck",
        upload=SimpleUploadedFile("deck.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    path = library.collection_create(actor=enabler, title="Start here", kind="path")
    section = library.collection_section_add(collection=path, actor=enabler, title="Basics")
    item = library.collection_item_add(
        collection=path, actor=enabler, resource=deck, section=section
    )
    library.collection_item_add(collection=path, actor=enabler, session=Session.objects.first())
    library.collection_create(actor=enabler, title="Reading list")
    library.path_follow(collection=path, person=member)
    library.path_item_mark(item=item, person=member)
    log = library.search_log_query(text="kubernetes", result_count=3)
    library.search_click_record(log_id=log.pk, kind="resource", object_id=deck.pk, position=1)
    study = insights.roi_study_create(
        actor=enabler,
        title="Platform guild 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        isolation_method="participant_estimate",
        isolation_note="Participants estimated their share.",
        default_hourly_cost=Decimal("62.50"),
    )
    insights.roi_cost_add(study=study, actor=enabler, label="Video tool", amount=Decimal("1200"))
    insights.roi_training_avoided_add(
        study=study, actor=enabler, course="K8s course", price=Decimal("900"), people=4
    )
    insights.roi_intangible_add(study=study, actor=enabler, text="Less waiting on platform")
    insights.duplicates_detect(now=now)
    cluster = DuplicateCluster.objects.order_by("pk").first()
    assert cluster is not None
    insights.duplicate_cluster_decide(
        cluster=cluster, actor=enabler, status=DuplicateCluster.Status.NOT_DUPLICATE
    )
    past = Occurrence.objects.filter(end__lt=now, session__speakers__isnull=False).first()
    speaker = past.session.speakers.first()
    retrospective_save(occurrence=past, actor=speaker, went_well="Demos", to_change="Timing")
    retrospective_action_add(occurrence=past, actor=speaker, text="Shorter intro", owner=speaker)
    _, secret = api_token_create(person=member, name="laptop")
    feed = calendar_feed_token_regenerate(person=member, actor=member)
    call_command("search_reindex", quiet=True, stdout=io.StringIO())  # as `knowflow demo` does
    return {"deck": deck.slug, "token": secret, "feed": feed.secret, "cluster": cluster.pk}


def test_every_model_is_exported_or_left_out_with_a_reason() -> None:
    exported = {m._meta.label for m in exported_models(include_credentials=True)}
    knowflow = {m._meta.label for m in apps.get_models() if is_knowflow_model(m)}

    assert unclassified_models() == []
    assert knowflow - exported == set(DERIVED) | {
        label for label in CREDENTIALS if label in knowflow and label not in exported
    }
    assert all(reason for reason in [*DERIVED.values(), *CREDENTIALS.values()])
    assert all(reason for reason in NOT_EXPORTED.values())
    assert exported & set(NOT_EXPORTED) == set()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_organisation_round_trips_byte_identical_with_files_and_no_secrets(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "old-media")
    made = _realistic_organisation()
    documents = SearchDocument.objects.count()
    hashes = list(apps.get_model("accounts.ApiToken").objects.values_list("key_hash", flat=True))
    first = _export(tmp_path / "org.zip")
    blocks = _blocks(first)

    _empty_database()
    settings.MEDIA_ROOT = str(tmp_path / "new-media")
    call_command("import_org", str(tmp_path / "org.zip"))

    assert _export(tmp_path / "again.zip") == first
    knowflow = {m._meta.label for m in apps.get_models() if is_knowflow_model(m)}
    assert set(blocks) == (knowflow - set(DERIVED) - set(CREDENTIALS)) | {
        "auth.Group",
        "admin.LogEntry",
    }
    for label in (
        "library.Resource",
        "library.Collection",
        "library.CollectionItem",
        "library.PathProgress",
        "feedback.Response",
        "feedback.Answer",
        "feedback.ResponseTally",
        "feedback.SessionTally",
        "feedback.AnswerTally",
        "feedback.RetrospectiveAction",
        "insights.RoiStudy",
        "insights.RoiIntangible",
        "insights.DuplicateCluster",
        "library.SearchClick",
    ):
        assert len(blocks[label]) > 0, label
        assert apps.get_model(label).objects.count() == len(blocks[label]), label
    deck = apps.get_model("library.Resource").objects.get(slug=made["deck"])
    assert deck.file.read() == PDF_BYTES
    assert (tmp_path / "new-media" / deck.file.name).read_bytes() == PDF_BYTES
    assert DuplicateCluster.objects.get(pk=made["cluster"]).status == "not_duplicate"
    assert SearchDocument.objects.count() == documents
    with zipfile.ZipFile(tmp_path / "org.zip") as zipped:
        assert zipped.namelist() == ["data.json", f"files/{deck.file.name}"]
        assert {i.date_time for i in zipped.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        text = zipped.read("data.json").decode()
    # Credentials: none in the file, and nobody signs in with the old ones.
    assert {row["fields"]["password"] for row in blocks["accounts.User"]} == {"!"}
    assert set(blocks) & set(CREDENTIALS) == set()
    assert [secret for secret in [made["feed"], *hashes] if secret in text] == []
    assert authenticate(username="member", password="knowflow-demo") is None
    refused = Client().get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {made['token']}")
    assert (refused.status_code, apps.get_model("accounts.ApiToken").objects.count()) == (401, 0)
    # Anonymous answers: the same columns as in the database, and no row naming their author.
    anonymous = {t["pk"] for t in blocks["feedback.SurveyTemplate"] if t["fields"]["anonymous"]}
    answers = [r for r in blocks["feedback.Response"] if r["fields"]["template"] in anonymous]
    assert len(answers) == Response.objects.filter(template__anonymous=True).count() > 0
    assert {tuple(sorted(r["fields"])) for r in answers} == {
        ("kind", "mode", "occurrence", "office", "org_unit", "submission_key", "template")
    }
    authored = {row["fields"]["response"] for row in blocks["feedback.ResponseAuthor"]}
    assert authored & {r["pk"] for r in answers} == set()
    assert len(authored) == ResponseAuthor.objects.count()


@pytest.mark.django_db(transaction=True)
def test_export_with_credentials_lets_people_sign_in_after_import(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    person = make_person(username="ada")
    _, secret = api_token_create(person=person, name="laptop")
    first = _export(tmp_path / "org.zip", "--include-credentials")

    _empty_database()
    call_command("import_org", str(tmp_path / "org.zip"))

    # Before signing in: signing in records the time a token was last used.
    assert _export(tmp_path / "again.zip", "--include-credentials") == first
    assert _document(first)["credentials"] is True
    assert authenticate(username="ada", password=PASSWORD) is not None
    response = Client().get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert [p["display_name"] for p in response.json()["items"]] == [person.display_name]
    if connection.vendor == "postgresql":
        # The sequences moved past the imported ids: a new person gets a new id.
        assert make_person().pk > person.pk


@pytest.mark.django_db(transaction=True)
def test_an_export_written_before_the_outbox_moved_imports_its_emails_under_dotted_kinds(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    make_person(username="ada")
    outbox_enqueue(
        kind="feedback.survey",
        recipient="ada@example.org",
        subject="Your feedback, please",
        body="Hello",
        dedupe_key="feedback-request:1",
    )
    document = _document(_export(tmp_path / "org.zip", "--include-credentials"))
    # As the integrations app wrote it until the outbox became the mail app's.
    block = next(b for b in document["models"] if b["model"] == "mail.OutboxMessage")
    block["model"] = "integrations.OutboxMessage"
    for row in block["rows"]:
        row["model"] = "integrations.outboxmessage"
        row["fields"]["kind"] = "survey"
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(older, "w") as zipped:
        zipped.writestr("data.json", json.dumps(document))
    _empty_database()

    call_command("import_org", str(older))

    assert list(OutboxMessage.objects.values_list("kind", "recipient", "dedupe_key")) == [
        ("feedback.survey", "ada@example.org", "feedback-request:1")
    ]


def _twin_person(document: dict[str, Any]) -> None:
    """Two people with one slug: refused when the row is written."""
    people = next(b for b in document["models"] if b["model"] == "accounts.Person")
    twin = json.loads(json.dumps(people["rows"][0]))
    twin["pk"] += 1000
    twin["fields"]["user"] = None
    people["rows"].append(twin)


def _dangling_membership(document: dict[str, Any]) -> None:
    """A membership of a circle the file does not hold: refused only at the commit."""
    block = next(b for b in document["models"] if b["model"] == "circles.Membership")
    block["rows"][0]["fields"]["circle"] = 999_999


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", [_twin_person, _dangling_membership])
def test_a_failing_import_leaves_no_row_and_no_file(
    tmp_path: Path, settings: Any, damage: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    enabler = make_person(role="enabler")
    make_circle(champions=[enabler])
    deck = library.resource_create(
        actor=enabler,
        kind="slides",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    good = _export(tmp_path / "org.zip")
    document = _document(good)
    damage(document)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zipped, zipfile.ZipFile(io.BytesIO(good)) as source:
        zipped.writestr("data.json", json.dumps(document))
        zipped.writestr(f"files/{deck.file.name}", source.read(f"files/{deck.file.name}"))
    _empty_database()
    templates = SurveyTemplate.objects.count()
    settings.MEDIA_ROOT = str(tmp_path / "new-media")

    with pytest.raises(CommandError) as refused:
        call_command("import_org", str(broken))

    assert refused.value.args[0].startswith(f"{broken} could not be loaded, nothing was imported: ")
    assert Person.objects.count() == 0
    assert SurveyTemplate.objects.count() == templates
    assert sorted(p for p in (tmp_path / "new-media").rglob("*") if p.is_file()) == []


@pytest.mark.django_db(transaction=True)
def test_import_refuses_a_storage_that_already_holds_a_file(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    enabler = make_person(role="enabler")
    deck = library.resource_create(
        actor=enabler,
        kind="slides",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    _export(tmp_path / "org.zip")
    _empty_database()
    (tmp_path / "media" / deck.file.name).write_bytes(b"someone else's file")

    with pytest.raises(CommandError) as refused:
        call_command("import_org", str(tmp_path / "org.zip"))

    assert refused.value.args[0] == (
        f"The file storage already holds '{deck.file.name}': import into an empty storage "
        "(a new KNOWFLOW_DATA_DIR, or an empty bucket)."
    )
    assert Person.objects.count() == 0
    assert (tmp_path / "media" / deck.file.name).read_bytes() == b"someone else's file"


@pytest.mark.django_db
def test_export_names_a_file_the_storage_lost_and_keeps_its_row(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    deck = library.resource_create(
        actor=make_person(role="enabler"),
        kind="slides",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    deck.file.storage.delete(deck.file.name)
    errors = io.StringIO()

    call_command("export_org", str(tmp_path / "org.zip"), stderr=errors)

    assert (
        errors.getvalue().splitlines()[0] == f"Not in the file storage, left out: {deck.file.name}"
    )
    data = (tmp_path / "org.zip").read_bytes()
    assert [r["fields"]["file"] for r in _blocks(data)["library.Resource"]] == [deck.file.name]
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["data.json"]


@pytest.mark.django_db
def test_import_refuses_a_database_that_already_has_an_organisation(tmp_path: Path) -> None:
    make_person(name="Ada")
    _export(tmp_path / "org.zip")

    with pytest.raises(CommandError) as refused:
        call_command("import_org", str(tmp_path / "org.zip"))

    assert refused.value.args[0] == (
        "The database already holds an organisation (1 user): import into an empty database."
    )
    assert list(Person.objects.values_list("display_name", flat=True)) == ["Ada"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"hello": 1}', "is an export of an older Knowflow (a JSON file). Export again with "
         "this version: it writes a .zip archive."),
        (b"not a zip at all", "is not a Knowflow organisation export, or it is truncated (not "
         "a complete zip archive)."),
        ("truncated", "is not a Knowflow organisation export, or it is truncated (not a "
         "complete zip archive)."),
        ("other zip", "is not a Knowflow organisation export."),
        ("bad json", "is damaged: data.json is not JSON (Expecting property name enclosed in double quotes at line 1)."),
    ],
)  # fmt: skip
def test_import_refuses_a_bad_file_with_a_clear_message(
    tmp_path: Path, content: bytes | str, message: str
) -> None:
    make_person()
    whole = _export(tmp_path / "org.zip")
    Person.objects.all().delete()
    apps.get_model("accounts.User").objects.all().delete()
    path = tmp_path / "in.zip"
    if content == "truncated":
        path.write_bytes(whole[: len(whole) // 2])
    elif isinstance(content, str):
        with zipfile.ZipFile(path, "w") as zipped:
            zipped.writestr("data.json" if content == "bad json" else "notes.txt", "{oops")
    else:
        path.write_bytes(content)

    with pytest.raises(CommandError) as refused:
        call_command("import_org", str(path))

    assert refused.value.args[0] == f"{path} {message}"
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_export_without_file_writes_the_same_archive_to_standard_output(tmp_path: Path) -> None:
    make_person(name="Ada")
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")

    call_command("export_org", stdout=stdout)

    assert raw.getvalue() == _export(tmp_path / "org.zip")
    with pytest.raises(CommandError) as refused:
        call_command("export_org", stdout=io.StringIO())
    assert refused.value.args[0] == "Standard output takes no bytes here: give a FILE."


def test_a_model_neither_exported_nor_named_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(NOT_EXPORTED, "auth.Permission")

    assert unclassified_models() == ["auth.Permission"]


@pytest.mark.django_db(transaction=True)
def test_a_dates_check_in_secret_is_a_credential_of_the_export(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    speaker, attendee = make_person(username="sam"), make_person(username="ann")
    occurrence = make_occurrence(
        session=make_session(speakers=[speaker]), start=timezone.now() - timedelta(minutes=5)
    )
    secret = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    link = f"/sessions/occurrences/{occurrence.pk}/check-in/{secret}/"

    plain = _export(tmp_path / "org.zip")
    with_credentials = _export(tmp_path / "all.zip", "--include-credentials")

    def tokens(data: bytes) -> dict[int, str]:
        return {r["pk"]: r["fields"]["checkin_token"] for r in _blocks(data)["events.Occurrence"]}

    assert tokens(plain) == {occurrence.pk: ""}
    assert tokens(with_credentials) == {occurrence.pk: secret}
    with zipfile.ZipFile(tmp_path / "org.zip") as zipped:
        assert secret not in zipped.read("data.json").decode()

    _empty_database()
    call_command("import_org", str(tmp_path / "org.zip"))

    # The link shown in the old installation's room checks no one in to the new one...
    visitor = Client()
    visitor.force_login(Person.objects.get(pk=attendee.pk).user)
    refused = visitor.get(link)
    assert refused.status_code == 403
    assert (
        "This check-in link is not valid, or it was replaced by a new one: ask the organisers "
        "for the current link." in refused.content.decode()
    )
    # ...and the organiser's check-in page makes a new one that does.
    imported = Occurrence.objects.get(pk=occurrence.pk)
    fresh = occurrence_checkin_token(occurrence=imported, actor=Person.objects.get(pk=speaker.pk))
    assert fresh not in ("", secret)
    shown = visitor.get(f"/sessions/occurrences/{occurrence.pk}/check-in/{fresh}/")
    assert shown.status_code == 200
