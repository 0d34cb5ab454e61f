from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from knowflow.accounts import selectors as accounts_selectors
from knowflow.accounts.models import Person
from knowflow.accounts.selectors import DirectoryFilters, person_directory
from knowflow.api.auth import viewer
from knowflow.api.schemas import BoundedPagination, DatabaseInt, PersonOut

router = Router(tags=["people"])


class PeopleQuery(Schema):
    q: str = ""
    org_unit: str = ""
    office: str = ""
    timezone: str = ""
    skill: str = ""


@router.get("/", response=list[PersonOut])
@paginate(BoundedPagination)
def person_list(request: HttpRequest, filters: Query[PeopleQuery]) -> object:
    return person_directory(filters=DirectoryFilters(**filters.dict()))


@router.get("/me", response=PersonOut)
def person_me(request: HttpRequest) -> Person:
    return viewer(request)


@router.get("/{person_id}", response=PersonOut)
def person_get(request: HttpRequest, person_id: DatabaseInt) -> Person:
    return accounts_selectors.person_get(id=person_id)
