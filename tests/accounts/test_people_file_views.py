"""The people file's page with Django's test client: upload, preview (writes nothing),
confirm (writes), refusals."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowflow.accounts.models import PeopleFileUpload, Person
from knowflow.accounts.services import person_create
from tests.conftest import signed_in
from tests.factories import PASSWORD, make_office

pytestmark = pytest.mark.django_db

IMPORT = "/accounts/people/import/"


def person(name: str, email: str, **fields: object) -> Person:
    return person_create(
        display_name=name, username=email.split("@")[0], password=PASSWORD, email=email, **fields
    )


@pytest.fixture
def admin() -> Person:
    return person("Root Admin", "root@example.com", role=Person.Role.ADMIN)


def upload(client, text: str, *, deactivate_missing: bool = False, name: str = "people.csv"):
    data = {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")}
    if deactivate_missing:
        data["deactivate_missing"] = "on"
    return client.post(IMPORT, data)


def page_text(response) -> str:
    """The page's words, as a person reads them (tags dropped, spaces collapsed)."""
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def fingerprint(response) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', response.content.decode()).group(1)


def test_an_admin_uploads_sees_the_diff_without_any_write_then_confirms_and_it_is_written(
    admin,
) -> None:
    make_office("Berlin", tz="Europe/Berlin")
    ada = person("Ada", "ada@example.com")
    client = signed_in(admin)
    directory = client.get("/accounts/people/")
    assert f'href="{IMPORT}"' in directory.content.decode()

    response = upload(
        client,
        "email,name,office\n"
        "ada@example.com,Ada Lovelace,Berlin\n"
        "grace@example.com,Grace Hopper,\n"
        "bad,Broken,\n"
        "root@example.com,Root Admin,\n",
    )

    preview_url = reverse(
        "accounts:people_import_preview", args=[PeopleFileUpload.objects.get().pk]
    )
    assert (response.status_code, response["Location"]) == (302, preview_url)
    preview = client.get(preview_url)
    text = page_text(preview)
    assert "1 new · 1 changed · 0 deactivated · 0 reactivated · 1 unchanged · 1 broken line" in text
    assert "Line Problem 4 'bad' is not an email address" in text
    assert "Nothing will be written for these lines; the other lines apply." in text
    assert "3 Grace Hopper grace@example.com Time zone: UTC Role: Member" in text
    assert "2 Ada Lovelace ada@example.com Name: Ada → Ada Lovelace Office: — → Berlin" in text
    assert "Apply 2 changes" in text
    ada.refresh_from_db()
    assert (ada.display_name, ada.office_id) == ("Ada", None)
    assert not Person.objects.filter(email="grace@example.com").exists()

    applied = client.post(
        reverse("accounts:people_import_apply", args=[PeopleFileUpload.objects.get().pk]),
        {"fingerprint": fingerprint(preview)},
        follow=True,
    )

    assert page_text(applied).startswith(
        "People file applied: 1 new, 1 changed, 0 deactivated, 0 reactivated; 1 broken line was left out."
    )
    ada.refresh_from_db()
    assert (ada.display_name, ada.office.name, ada.timezone) == ("Ada Lovelace", "Berlin", "UTC")
    assert Person.objects.get(email="grace@example.com").display_name == "Grace Hopper"
    record = PeopleFileUpload.objects.get()
    assert (record.content, record.applied_by, record.summary["new"]) == ("", admin, 1)
    # Confirming twice writes nothing more.
    again = client.post(
        reverse("accounts:people_import_apply", args=[record.pk]), {"fingerprint": "x"}, follow=True
    )
    assert "This file was applied already." in page_text(again)
    assert "people.csv" in page_text(client.get(IMPORT))


def test_a_preview_confirmed_after_the_directory_changed_is_refused_and_writes_nothing(
    admin,
) -> None:
    client = signed_in(admin)
    upload(client, "email,name\nada@example.com,Ada\n")
    record = PeopleFileUpload.objects.get()
    preview = client.get(reverse("accounts:people_import_preview", args=[record.pk]))
    person("Ada Elsewhere", "ada@example.com")  # someone added Ada meanwhile

    refused = client.post(
        reverse("accounts:people_import_apply", args=[record.pk]),
        {"fingerprint": fingerprint(preview)},
        follow=True,
    )

    assert (
        "The people changed since this preview was made: check the new preview and confirm again."
        in page_text(refused)
    )
    assert list(
        Person.objects.filter(email="ada@example.com").values_list("display_name", flat=True)
    ) == ["Ada Elsewhere"]
    assert PeopleFileUpload.objects.get().applied_at is None


def test_deactivate_missing_on_the_page_never_deactivates_the_admin_applying_it(admin) -> None:
    gone = person("Gone", "gone@example.com")
    client = signed_in(admin)
    upload(client, "email,name\nstays@example.com,Stays\n", deactivate_missing=True)
    record = PeopleFileUpload.objects.get()
    preview = client.get(reverse("accounts:people_import_preview", args=[record.pk]))
    assert (
        "Deactivated people Line Person Why — Gone gone@example.com Not in the file"
        in page_text(preview)
    )

    client.post(
        reverse("accounts:people_import_apply", args=[record.pk]),
        {"fingerprint": fingerprint(preview)},
    )

    gone.refresh_from_db()
    admin.refresh_from_db()
    assert gone.deactivated_at is not None
    assert admin.deactivated_at is None
    assert admin.user.is_active


def test_a_member_can_neither_see_nor_use_the_page(admin) -> None:
    member = person("Member", "member@example.com")
    client = signed_in(member)

    assert "Import people from a file" not in client.get("/accounts/people/").content.decode()
    refused = client.get(IMPORT)
    posted = upload(client, "email,name\nnew@example.com,New\n")
    download = client.get(reverse("accounts:people_file_download"))

    assert (refused.status_code, posted.status_code, download.status_code) == (403, 403, 403)
    assert "Only an admin can import people from a file." in refused.content.decode()
    assert not PeopleFileUpload.objects.exists()
    assert not Person.objects.filter(email="new@example.com").exists()


def test_a_file_over_the_size_limit_is_refused_with_the_limit_and_the_command(
    admin, settings
) -> None:
    settings.KNOWFLOW_PEOPLE_FILE_MAX_BYTES = 1024
    client = signed_in(admin)

    response = upload(
        client, "email,name\n" + "".join(f"p{n}@example.com,P {n}\n" for n in range(100))
    )

    assert response.status_code == 200
    assert (
        "This file is larger than 1.0 KB, the most the page takes. Import it with the command"
        " `knowflow import people FILE.csv`."
    ) in page_text(response)
    assert not PeopleFileUpload.objects.exists()


def test_an_unreadable_file_is_refused_on_the_form(admin) -> None:
    client = signed_in(admin)

    response = client.post(
        IMPORT,
        {"file": SimpleUploadedFile("p.csv", "email,name\nj@x.org,José\n".encode("latin-1"))},
    )

    assert response.status_code == 200
    assert "The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”." in (
        page_text(response)
    )
    assert not PeopleFileUpload.objects.exists()


def test_the_preview_report_and_the_current_people_download_are_csv_without_live_formulas(
    admin,
) -> None:
    client = signed_in(admin)
    upload(
        client,
        "email,name,time zone\neve@example.com,=cmd|' /C calc'!A0,\nx@example.com,X,Nowhere\n",
    )
    record = PeopleFileUpload.objects.get()

    report = client.get(reverse("accounts:people_import_report", args=[record.pk]))
    current = client.get(reverse("accounts:people_file_download"))

    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(report.content.decode()))) == [
        ["line", "email", "name", "outcome", "detail"],
        [
            "2",
            "eve@example.com",
            "'=cmd|' /C calc'!A0",
            "new",
            "Time zone: UTC; Role: Member",
        ],
        ["3", "", "", "broken", "'Nowhere' is not a known time zone (write it like Europe/Berlin)"],
    ]
    assert list(csv.reader(io.StringIO(current.content.decode())))[1] == [
        "root@example.com",
        "Root Admin",
        "",
        "",
        "UTC",
        "admin",
        "",
        "yes",
    ]


def test_a_file_with_no_usable_line_and_deactivate_missing_is_refused_before_any_preview(
    admin,
) -> None:
    someone = person("Someone", "someone@example.com")
    client = signed_in(admin)

    response = upload(client, "email,name\nnot-an-email,Broken\n", deactivate_missing=True)
    shown = client.get(response["Location"], follow=True)

    assert shown.redirect_chain[-1][0] == IMPORT
    assert page_text(shown).startswith(
        "No line of this file can be applied, so deactivating the people missing from it would"
        " deactivate everyone: nothing was done. Fix the file first."
    )
    someone.refresh_from_db()
    assert someone.deactivated_at is None


def test_uploads_never_applied_are_dropped_after_a_day(admin) -> None:
    client = signed_in(admin)
    upload(client, "email,name\nada@example.com,Ada\n")
    old = PeopleFileUpload.objects.get()
    PeopleFileUpload.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=2))

    upload(client, "email,name\ngrace@example.com,Grace\n")

    assert list(PeopleFileUpload.objects.values_list("file_name", "content")) == [
        ("people.csv", "email,name\ngrace@example.com,Grace\n")
    ]
    gone = client.get(reverse("accounts:people_import_preview", args=[old.pk]))
    assert gone.status_code == 404
    assert "There is no such people file: upload it again." in gone.content.decode()
