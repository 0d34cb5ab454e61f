from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from knowflow.accounts.models import Person
from knowflow.api.auth import viewer
from knowflow.api.lookups import fetch
from knowflow.api.schemas import (
    BoundedPagination,
    DatabaseInt,
    RegistrationIn,
    RegistrationOut,
    RegistrationPatch,
)
from knowflow.errors import DomainError, Forbidden
from knowflow.events import services
from knowflow.events.models import Occurrence, Registration
from knowflow.events.permissions import can_edit_session

router = Router(tags=["registrations"])


class RegistrationQuery(Schema):
    occurrence_id: DatabaseInt | None = None


@router.get("/", response=list[RegistrationOut])
@paginate(BoundedPagination)
def registration_list(
    request: HttpRequest, filters: Query[RegistrationQuery]
) -> QuerySet[Registration]:
    """Your own registrations; with ``occurrence_id``, everyone's for an occurrence you manage."""
    me = viewer(request)
    if filters.occurrence_id is None:
        return Registration.objects.filter(person=me).order_by("requested_at", "id")
    occurrence = fetch(
        Occurrence.objects.select_related("session"), filters.occurrence_id, what="occurrence"
    )
    if not can_edit_session(actor=me, session=occurrence.session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers see its registrations."
        )
    return occurrence.registrations.order_by("requested_at", "id")


def _own_or_managed(request: HttpRequest, registration: Registration) -> Registration:
    me = viewer(request)
    if registration.person_id != me.pk and not can_edit_session(
        actor=me, session=registration.occurrence.session
    ):
        raise Forbidden("This is someone else's registration.")
    return registration


@router.get("/{registration_id}", response=RegistrationOut)
def registration_get(request: HttpRequest, registration_id: DatabaseInt) -> Registration:
    registration = fetch(
        Registration.objects.select_related("occurrence__session"),
        registration_id,
        what="registration",
    )
    return _own_or_managed(request, registration)


@router.post("/", response={201: RegistrationOut})
def registration_create(request: HttpRequest, payload: RegistrationIn) -> tuple[int, Registration]:
    occurrence = fetch(Occurrence, payload.occurrence_id, what="occurrence", field="occurrence_id")
    person = (
        fetch(Person, payload.person_id, what="person", field="person_id")
        if payload.person_id is not None
        else viewer(request)
    )
    registration = services.registration_create(
        occurrence=occurrence, person=person, actor=viewer(request)
    )
    return 201, registration


@router.patch("/{registration_id}", response=RegistrationOut)
def registration_update(
    request: HttpRequest, registration_id: DatabaseInt, payload: RegistrationPatch
) -> Registration:
    registration = fetch(
        Registration.objects.select_related("occurrence__session", "person"),
        registration_id,
        what="registration",
    )
    _own_or_managed(request, registration)
    if payload.status != Registration.Status.CANCELLED:
        raise DomainError(
            "Only 'cancelled' can be set; register again to ask for a place.", field="status"
        )
    return services.registration_cancel(
        occurrence=registration.occurrence, person=registration.person, actor=viewer(request)
    )
