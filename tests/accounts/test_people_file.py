"""The people file from the command line: real CSV files on disk, read by `knowflow import
people`, against a real database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import OrgUnit, Person
from knowflow.accounts.services import person_create
from knowflow.cli import main as knowflow
from knowflow.events.services import registration_create
from knowflow.search.models import SearchDocument
from tests.factories import PASSWORD, make_occurrence, make_office

pytestmark = pytest.mark.django_db

HEADER = "email,name,department,office,time zone,role,languages\n"


@pytest.fixture
def org() -> dict:
    return {
        "berlin": make_office("Berlin", tz="Europe/Berlin"),
        "pune": make_office("Pune", tz="Asia/Kolkata"),
        "platform": OrgUnit.objects.create(name="Platform", slug="platform"),
    }


def person(name: str, email: str, **fields: object) -> Person:
    """Someone already in the directory, with an account to sign in with."""
    return person_create(
        display_name=name,
        username=email.split("@")[0].lower(),
        password=PASSWORD,
        email=email,
        **fields,
    )


def people_file(
    tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "people.csv"
) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path: Path, *args: str) -> tuple[str, str, int]:
    """`knowflow import people PATH ARGS`: its output, its errors and its exit status."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_people", str(path), *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code)
    return out.getvalue(), err.getvalue(), status


def people() -> list[tuple]:
    return list(
        Person.objects.order_by("email").values_list(
            "email",
            "display_name",
            "org_unit__name",
            "office__name",
            "timezone",
            "role",
            "languages",
        )
    )


def test_import_people_creates_each_person_with_office_department_zone_role_and_languages(
    tmp_path, org
) -> None:
    path = people_file(
        tmp_path,
        HEADER
        + 'ada@example.com,Ada Lovelace,Platform,Berlin,,enabler,"en, de"\n'
        + "grace@example.com,Grace Hopper,Research,pune,America/New_York,,English\n"
        + "linus@example.com,Linus T,,,,,\n",
    )

    out, err, status = run(path)

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "New people (3):",
        "  line 2: ada@example.com (Ada Lovelace) — Department: Platform; Office: Berlin;"
        " Time zone: Europe/Berlin; Role: Enabler; Languages: English, German",
        "  line 3: grace@example.com (Grace Hopper) — Department: Research; Office: Pune;"
        " Time zone: America/New_York; Role: Member; Languages: English",
        "  line 4: linus@example.com (Linus T) — Time zone: UTC; Role: Member",
        "New org units (teams): Research",
        "3 people changed: 3 new, 0 changed, 0 deactivated, 0 reactivated; 0 unchanged, 0 broken lines.",
    ]
    assert people() == [
        (
            "ada@example.com",
            "Ada Lovelace",
            "Platform",
            "Berlin",
            "Europe/Berlin",
            "enabler",
            ["en", "de"],
        ),
        (
            "grace@example.com",
            "Grace Hopper",
            "Research",
            "Pune",
            "America/New_York",
            "member",
            ["en"],
        ),
        ("linus@example.com", "Linus T", None, None, "UTC", "member", []),
    ]
    assert OrgUnit.objects.get(name="Research").kind == OrgUnit.Kind.TEAM
    # Found by search under their name, like anyone created on a page.
    titles = set(SearchDocument.objects.filter(kind="person").values_list("title", flat=True))
    assert {"Ada Lovelace", "Grace Hopper", "Linus T"} <= titles


def test_import_people_twice_changes_nothing_the_second_time(tmp_path, org) -> None:
    path = people_file(
        tmp_path,
        HEADER
        + "ada@example.com,Ada Lovelace,Platform,Berlin,,enabler,en\n"
        + "grace@example.com,Grace Hopper,Research,Pune,,admin,\n",
    )
    run(path)
    before = people()

    out, err, status = run(path)

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "0 people changed: 0 new, 0 changed, 0 deactivated, 0 reactivated; 2 unchanged, 0 broken lines."
    ]
    assert people() == before
    assert OrgUnit.objects.filter(name="Research").count() == 1


def test_dry_run_shows_which_fields_change_from_what_to_what_and_writes_nothing(
    tmp_path, org
) -> None:
    ada = person("Ada", "Ada@Example.com", org_unit=org["platform"])
    before = people()
    path = people_file(
        tmp_path,
        HEADER
        + "ada@example.com,Ada Lovelace,Research,Berlin,Europe/Berlin,,\n"
        + "new@example.com,Newcomer,,,,,\n",
    )

    out, err, status = run(path, "--dry-run")

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Dry run: nothing was written.",
        "New people (1):",
        "  line 3: new@example.com (Newcomer) — Time zone: UTC; Role: Member",
        "Changed people (1):",
        "  line 2: Ada@Example.com (Ada Lovelace) — Name: Ada → Ada Lovelace; Department: Platform"
        " → Research; Office: — → Berlin; Time zone: UTC → Europe/Berlin",
        "New org units (teams): Research",
        "2 people would change: 1 new, 1 changed, 0 deactivated, 0 reactivated; 0 unchanged, 0 broken lines.",
    ]
    assert people() == before
    assert not OrgUnit.objects.filter(name="Research").exists()
    ada.refresh_from_db()
    assert (ada.display_name, ada.timezone) == ("Ada", "UTC")


def test_broken_lines_are_reported_by_number_and_write_nothing_while_the_others_apply(
    tmp_path, org
) -> None:
    path = people_file(
        tmp_path,
        HEADER
        + "ok@example.com,Okay,Platform,Berlin,,,\n"  # 2
        + "not-an-email,Bad Email,,,,,\n"  # 3
        + "office@example.com,Unknown Office,,Atlantis,,,\n"  # 4
        + "zone@example.com,Bad Zone,,,Mars/Olympus,,\n"  # 5
        + "twice@example.com,Twice A,,,,,\n"  # 6
        + "TWICE@example.com,Twice B,,,,,\n"  # 7
        + "wide@example.com,Too,Many,Berlin,UTC,member,en,extra\n"  # 8
        + "narrow@example.com,Too Few\n"  # 9
        + "role@example.com,Bad Role,,,,boss,\n"  # 10
        + "\n"  # 11: blank lines are skipped
        + "last@example.com,Last Line,,,,,\n",  # 12
    )

    out, err, status = run(path)

    assert status == 2
    assert err.splitlines() == [
        f"{path}: line 3: 'not-an-email' is not an email address",
        f"{path}: line 4: there is no office 'Atlantis' (the offices are: Berlin, Pune)",
        f"{path}: line 5: 'Mars/Olympus' is not a known time zone (write it like Europe/Berlin)",
        f"{path}: line 6: twice@example.com is also on line 7: a person must be on one line only,"
        " so none of these lines was applied",
        f"{path}: line 7: TWICE@example.com is also on line 6: a person must be on one line only,"
        " so none of these lines was applied",
        f"{path}: line 8: 8 columns where the header has 7 (a separator too many or too few?"
        " quote a cell that contains one)",
        f"{path}: line 9: 2 columns where the header has 7 (a separator too many or too few?"
        " quote a cell that contains one)",
        f"{path}: line 10: 'boss' is not a role: write one of admin, enabler, leader, member"
        " (or leave it empty)",
        "8 broken lines: nothing was written for them; the other lines were applied.",
    ]
    assert out.splitlines()[-1] == (
        "2 people changed: 2 new, 0 changed, 0 deactivated, 0 reactivated; 0 unchanged, 8 broken lines."
    )
    assert [row[0] for row in people()] == ["last@example.com", "ok@example.com"]


def test_a_semicolon_file_with_a_byte_order_mark_and_loose_headers_reads_like_a_comma_file(
    tmp_path, org
) -> None:
    path = people_file(
        tmp_path,
        "E-mail;Full name;Team;Location;Time_zone;Role;Languages;Active\r\n"
        "ada@example.com;Ada Lovelace;platform;BERLIN;;leader;en,fr;yes\r\n"
        "jose@example.com;José Ñúñez;Platform;;Europe/Madrid;;es;\r\n",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    out, err, status = run(path)

    assert (status, err) == (0, "")
    assert people() == [
        (
            "ada@example.com",
            "Ada Lovelace",
            "Platform",
            "Berlin",
            "Europe/Berlin",
            "leader",
            ["en", "fr"],
        ),
        ("jose@example.com", "José Ñúñez", "Platform", None, "Europe/Madrid", "member", ["es"]),
    ]


def test_a_file_that_is_not_utf8_is_refused_whole_and_nothing_is_written(tmp_path, org) -> None:
    path = people_file(tmp_path, HEADER + "jose@example.com,José,,,,,\n", encoding="latin-1")

    with pytest.raises(Exception) as refused:
        call_command("import_people", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value) == (
        f"{path}: The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”."
    )
    assert people() == []


def test_a_header_without_email_or_name_is_refused_whole(tmp_path, org) -> None:
    path = people_file(tmp_path, "address,who\nada@example.com,Ada\n")

    with pytest.raises(Exception) as refused:
        call_command("import_people", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value) == (
        f"{path}: The header row needs the columns email and name (found: address, who)."
    )


def test_the_knowflow_command_runs_import_people_and_keeps_the_organisation_import(
    tmp_path, org, capsys, monkeypatch
) -> None:
    # What `knowflow` hands to Django's command line, run in this process: Django's own runner
    # closes the database connections when a command ends, which a test database cannot survive.
    ran: list[list[str]] = []

    def execute(argv: list[str]) -> None:
        ran.append(argv[1:])
        if argv[1] == "import_people":
            call_command(*argv[1:])

    monkeypatch.setattr("django.core.management.execute_from_command_line", execute)
    path = people_file(tmp_path, HEADER + "ada@example.com,Ada,,,,,\n")

    assert knowflow(["import", "people", str(path), "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "Dry run: nothing was written."
    assert people() == []
    assert knowflow(["import", "people", str(path)]) == 0
    assert [row[0] for row in people()] == ["ada@example.com"]
    assert knowflow(["import", "org.zip"]) == 0
    assert knowflow(["export", "people", "current.csv"]) == 0
    assert ran == [
        ["import_people", str(path), "--dry-run"],
        ["import_people", str(path)],
        ["import_org", "org.zip"],  # `knowflow import FILE` is still the organisation import
        ["export_people", "current.csv"],
    ]


def test_a_manager_places_a_person_without_a_department_in_the_managers_department(
    tmp_path, org
) -> None:
    path = people_file(
        tmp_path,
        "email,name,department,manager email\n"
        "boss@example.com,Boss,Research,\n"
        "report@example.com,Report,,boss@example.com\n"
        "orphan@example.com,Orphan,,gone@example.com\n",
    )

    out, _, _ = run(path)

    assert [row[:3] for row in people()] == [
        ("boss@example.com", "Boss", "Research"),
        ("orphan@example.com", "Orphan", None),
        ("report@example.com", "Report", "Research"),
    ]
    assert (
        f"{path}: note, line 4: the manager gone@example.com is neither in the file nor in Knowflow,"
        " so the department is left as it is"
    ) in out.splitlines()


def test_a_role_from_the_file_opens_or_closes_the_django_admin_like_the_profile_does(
    tmp_path, org
) -> None:
    ada = person("Ada", "ada@example.com")
    path = people_file(tmp_path, "email,name,role\nada@example.com,Ada,admin\n")

    run(path)

    ada.refresh_from_db()
    ada.user.refresh_from_db()
    assert (ada.role, ada.user.is_staff, ada.user.is_superuser) == ("admin", True, True)
    run(people_file(tmp_path, "email,name,role\nada@example.com,Ada,member\n"))
    ada.refresh_from_db()
    ada.user.refresh_from_db()
    assert (ada.role, ada.user.is_staff, ada.user.is_superuser) == ("member", False, False)


def test_the_actor_cannot_take_their_own_admin_role_away_with_a_file(tmp_path, org) -> None:
    admin = person("Root", "root@example.com", role=Person.Role.ADMIN)
    path = people_file(tmp_path, "email,name,role\nroot@example.com,Root,member\n")

    out, err, status = run(path, "--actor", "ROOT@example.com")

    assert status == 2
    assert err.splitlines()[0] == (
        f"{path}: line 2: root@example.com is you: a file cannot take away your own admin role"
    )
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_export_people_writes_a_file_that_imports_back_with_no_change_and_no_live_formula(
    tmp_path, org
) -> None:
    person('=HYPERLINK("http://evil.example","Click")', "eve@example.com")
    person("Ada", "ada@example.com", org_unit=org["platform"], office=org["berlin"])
    exported = tmp_path / "current.csv"

    call_command("export_people", str(exported), stderr=io.StringIO())

    rows = list(csv.reader(exported.open(encoding="utf-8", newline="")))
    assert rows[0] == [
        "email",
        "name",
        "department",
        "office",
        "time zone",
        "role",
        "languages",
        "active",
    ]
    assert ["ada@example.com", "Ada", "Platform", "Berlin", "UTC", "member", "", "yes"] in rows
    assert [
        "eve@example.com",
        '\'=HYPERLINK("http://evil.example","Click")',
        "",
        "",
        "UTC",
        "member",
        "",
        "yes",
    ] in rows
    out, err, status = run(exported)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1].startswith("0 people changed: 0 new, 0 changed")
    assert Person.objects.get(email="eve@example.com").display_name == (
        '=HYPERLINK("http://evil.example","Click")'
    )


def test_applying_a_large_file_costs_a_few_queries_per_batch_not_per_person(tmp_path, org) -> None:
    def lines(count: int, name: str) -> str:
        return HEADER + "".join(
            f"p{n}@example.com,{name} {n},Team {n % 7},Berlin,,,en\n" for n in range(count)
        )

    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_text(lines(300, "Person"))
    large.write_text(lines(1200, "Person"))
    with CaptureQueriesContext(connection) as created_small:
        run(small)
    with CaptureQueriesContext(connection) as created_large:
        run(large)  # 300 unchanged, 900 new: two batches of 500
    rename = tmp_path / "rename.csv"
    rename.write_text(lines(1200, "Renamed"))
    with CaptureQueriesContext(connection) as renamed:
        _, _, status = run(rename)

    assert status == 0
    assert Person.objects.filter(display_name__startswith="Renamed").count() == 1200
    # Four times the people, a few more statements per extra batch of 500 — not 900 more.
    assert len(created_large) <= len(created_small) + 2 * 12
    assert len(renamed) <= len(created_small) + 3 * 12


def test_deactivate_missing_deactivates_who_the_file_leaves_out_but_never_the_actor(
    tmp_path, org
) -> None:
    admin = person("Root", "root@example.com", role=Person.Role.ADMIN)
    stays = person("Stays", "stays@example.com")
    gone = person("Gone", "gone@example.com")
    typo = person("Typo", "typo@example.com")
    speaker = Person.objects.create(display_name="Archive Speaker", slug="archive-speaker")
    path = people_file(
        tmp_path,
        "email,name,office\n"
        "stays@example.com,Stays,\n"
        "typo@example.com,Typo,Berlinn\n",  # broken, but Typo is in the file
    )

    out, err, status = run(path, "--deactivate-missing", "--actor", "root@example.com")

    assert status == 2
    assert out.splitlines()[:2] == [
        "Deactivated people (1):",
        "  not in the file: gone@example.com (Gone)",
    ]
    assert err.splitlines()[0].endswith(
        "line 3: there is no office 'Berlinn' (the offices are: Berlin, Pune)"
    )
    for someone in (admin, stays, gone, typo, speaker):
        someone.refresh_from_db()
    assert gone.deactivated_at is not None
    assert not gone.user.is_active
    assert [admin.deactivated_at, stays.deactivated_at, typo.deactivated_at] == [None, None, None]
    assert speaker.deactivated_at is None  # no email: never touched by a people file
    # Nothing left to do the second time.
    out, _, _ = run(path, "--deactivate-missing", "--actor", "root@example.com")
    assert out.splitlines()[-1].startswith("0 people changed")


def test_a_line_marked_inactive_deactivates_and_a_later_active_line_reactivates(
    tmp_path, org
) -> None:
    ada = person("Ada", "ada@example.com")
    leaving = people_file(tmp_path, "email,name,active\nada@example.com,Ada,no\n", name="a.csv")
    back = people_file(tmp_path, "email,name,active\nada@example.com,Ada Back,yes\n", name="b.csv")

    out, _, _ = run(leaving)
    ada.refresh_from_db()
    assert ada.deactivated_at is not None
    assert out.splitlines() == [
        "Deactivated people (1):",
        "  line 2: ada@example.com (Ada) — line 2 says active: no",
        "1 person changed: 0 new, 0 changed, 1 deactivated, 0 reactivated; 0 unchanged,"
        " 0 broken lines.",
    ]

    out, _, _ = run(back)
    ada.refresh_from_db()
    assert (ada.deactivated_at, ada.display_name, ada.user.is_active) == (None, "Ada Back", True)
    assert out.splitlines()[:2] == [
        "Reactivated people (1):",
        "  line 2: ada@example.com (Ada Back) — Name: Ada → Ada Back",
    ]


def test_the_actor_cannot_deactivate_themselves_with_a_line(tmp_path, org) -> None:
    admin = person("Root", "root@example.com", role=Person.Role.ADMIN)
    path = people_file(tmp_path, "email,name,active\nroot@example.com,Root,no\n")

    _, err, status = run(path, "--actor", "root@example.com")

    assert status == 2
    assert err.splitlines()[0] == (
        f"{path}: line 2: root@example.com is you: a file cannot deactivate the admin applying it"
    )
    admin.refresh_from_db()
    assert admin.deactivated_at is None


def test_deactivate_missing_with_no_usable_line_is_refused_and_deactivates_no_one(
    tmp_path, org
) -> None:
    someone = person("Someone", "someone@example.com")
    path = people_file(tmp_path, "email,name\nnot-an-email,Broken\n")

    with pytest.raises(Exception) as refused:
        call_command(
            "import_people",
            str(path),
            "--deactivate-missing",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

    assert str(refused.value) == (
        f"{path}: No line of this file can be applied, so deactivating the people missing from it"
        " would deactivate everyone: nothing was done. Fix the file first."
    )
    someone.refresh_from_db()
    assert someone.deactivated_at is None


def test_actor_must_be_an_admin(tmp_path, org) -> None:
    person("Member", "member@example.com")
    path = people_file(tmp_path, "email,name\nmember@example.com,Member\n")

    with pytest.raises(Exception) as refused:
        call_command(
            "import_people", str(path), "--actor", "member@example.com", stdout=io.StringIO()
        )

    assert str(refused.value) == "--actor member@example.com: no admin has this email."


def test_deactivating_through_the_file_gives_future_places_to_the_waiting_list(
    tmp_path, org
) -> None:
    occurrence = make_occurrence(capacity=1)
    leaving, waiting = (
        person("Leaving", "leaving@example.com"),
        person("Waiting", "waiting@example.com"),
    )
    registration_create(occurrence=occurrence, person=leaving, actor=leaving)
    registration_create(occurrence=occurrence, person=waiting, actor=waiting)
    path = people_file(tmp_path, "email,name,active\nleaving@example.com,Leaving,no\n")

    run(path)

    statuses = dict(occurrence.registrations.values_list("person__display_name", "status"))
    assert statuses == {"Leaving": "cancelled", "Waiting": "going"}


def test_excel_s_separator_line_is_understood_and_line_numbers_still_match_the_file(
    tmp_path, org
) -> None:
    path = people_file(
        tmp_path, "sep=;\r\nemail;name\r\nada@example.com;Ada, Countess\r\nbroken;Nobody\r\n"
    )

    out, err, status = run(path)

    assert status == 2
    assert err.splitlines()[0] == f"{path}: line 4: 'broken' is not an email address"
    assert people() == [("ada@example.com", "Ada, Countess", None, None, "UTC", "member", [])]
