from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from knowflow.accounts import selectors as accounts_selectors
from knowflow.api.auth import viewer
from knowflow.api.schemas import (
    BoundedPagination,
    DatabaseInt,
    RegistrationIn,
    RegistrationOut,
    RegistrationPatch,
)
from knowflow.errors import DomainError, Forbidden
from knowflow.events import selectors as events_selectors
from knowflow.events import services
from knowflow.events.models import Registration
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
    occurrence = events_selectors.occurrence_get(id=filters.occurrence_id)
    if not can_edit_session(actor=me, session=occurrence.session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers see its registrations."
        )
    return occurrence.registrations.order_by("requested_at", "id")


@router.get("/{registration_id}", response=RegistrationOut)
def registration_get(request: HttpRequest, registration_id: DatabaseInt) -> Registration:
    return events_selectors.registration_get(viewer=viewer(request), id=registration_id)


@router.post("/", response={201: RegistrationOut})
def registration_create(request: HttpRequest, payload: RegistrationIn) -> tuple[int, Registration]:
    occurrence = events_selectors.occurrence_get(id=payload.occurrence_id, field="occurrence_id")
    person = (
        accounts_selectors.person_get(id=payload.person_id, field="person_id")
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
    registration = events_selectors.registration_get(viewer=viewer(request), id=registration_id)
    if payload.status != Registration.Status.CANCELLED:
        raise DomainError(
            "Only 'cancelled' can be set; register again to ask for a place.", field="status"
        )
    return services.registration_cancel(
        occurrence=registration.occurrence, person=registration.person, actor=viewer(request)
    )
