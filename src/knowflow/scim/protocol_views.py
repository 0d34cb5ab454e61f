"""The SCIM 2.0 protocol (RFC 7644) under /scim/v2/: Users, Groups and discovery.

Thin: authenticate the bearer token, parse the body with scim2-models, call one service or
selector, answer `application/scim+json`. Every refusal, from a bad token to a bad filter, is a
SCIM error document with its status (RFC 7644 §3.12), never a page and never a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Group,
    ListResponse,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SearchRequest,
)
from scim2_models.exceptions import SCIMException

from knowflow.errors import DomainError
from knowflow.scim import selectors, services
from knowflow.scim.errors import ScimProblem
from knowflow.scim.models import ScimUser
from knowflow.scim.resources import (
    ScimUserResource,
    group_resource,
    resource_types,
    schemas,
    service_provider_config,
    user_document,
    user_resource,
)

SCIM_JSON = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
View = Callable[..., HttpResponse]


def _json(data: Any, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=SCIM_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(status: int, scim_type: str | None, detail: str) -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return _json(body, status=status)


def _validation_error(error: ValidationError) -> HttpResponse:
    first = error.errors()[0]
    scim_type = (first.get("ctx") or {}).get("scim_type") or "invalidValue"
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
    message = str(first.get("msg", "invalid value"))
    return _error(400, scim_type, f"{where}: {message}" if where else message)


def scim_view(view: View) -> View:
    """Bearer-token authentication and SCIM errors around one endpoint."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        token = (
            services.scim_token_authenticate(secret=secret.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if token is None:
            response = _error(
                401, None, "A valid SCIM bearer token is required (an admin creates one)."
            )
            response["WWW-Authenticate"] = 'Bearer realm="Knowflow SCIM"'
            return response
        try:
            return view(request, *args, **kwargs)
        except ScimProblem as problem:
            return _error(problem.status_code, problem.scim_type, problem.message)
        except SCIMException as error:
            return _error(error.status, error.scim_type or None, error.detail)
        except ValidationError as error:
            return _validation_error(error)
        except DomainError as error:
            scim_type = {400: "invalidValue", 409: "uniqueness"}.get(error.status_code)
            return _error(error.status_code, scim_type, error.message)
        except IntegrityError:
            # Two requests creating the same userName or group name at once: the database's
            # unique index refuses the second after the services' own check let both through.
            return _error(409, "uniqueness", "Another request has just created the same name.")

    return wrapped


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim_protocol:root")).rstrip("/")


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ScimProblem(400, "invalidSyntax", f"The body is not JSON: {error}.") from error
    if not isinstance(data, dict):
        raise ScimProblem(400, "invalidSyntax", "The body must be a JSON object.")
    return data


def _manager_fixed(value: Any, base_url: str) -> Any:
    """A manager as RFC 7643 has it: Entra ID sends the bare id, others leave out `$ref`."""
    if isinstance(value, str) and value:
        value = {"value": value}
    if isinstance(value, dict) and value.get("value") and not value.get("$ref"):
        value = {**value, "$ref": f"{base_url}/Users/{value['value']}"}
    return value


def _enterprise_fixed(data: dict[str, Any], base_url: str) -> dict[str, Any]:
    for key, extension in data.items():
        is_enterprise = key.lower() == ENTERPRISE.lower() and isinstance(extension, dict)
        if is_enterprise and "manager" in extension:
            extension["manager"] = _manager_fixed(extension["manager"], base_url)
    return data


def _user_body(request: HttpRequest) -> dict[str, Any]:
    return _enterprise_fixed(_body(request), _base_url(request))


def _user_patch_body(request: HttpRequest) -> dict[str, Any]:
    data = _body(request)
    base_url = _base_url(request)
    for operation in data.get("Operations") or []:
        if not isinstance(operation, dict):
            continue
        path = str(operation.get("path") or "")
        if path.lower().endswith("manager") and "value" in operation:
            operation["value"] = _manager_fixed(operation["value"], base_url)
        elif isinstance(operation.get("value"), dict):
            _enterprise_fixed(operation["value"], base_url)
    return data


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise ScimProblem(400, "invalidValue", f"{name} must be a whole number.") from error


def _response_parameters(request: HttpRequest) -> ResponseParameters:
    def names(key: str) -> list[str] | None:
        raw = request.GET.get(key, "")
        return [part.strip() for part in raw.split(",") if part.strip()] or None

    return ResponseParameters.model_validate(
        {"attributes": names("attributes"), "excludedAttributes": names("excludedAttributes")}
    )


def _method_not_allowed(request: HttpRequest) -> HttpResponse:
    return _error(405, None, f"{request.method} is not supported here.")


# Discovery ---------------------------------------------------------------------------------


@scim_view
def service_provider_config_view(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed(request)
    config = service_provider_config(base_url=_base_url(request))
    return _json(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _discovery_list(items: list[Any], model: type) -> dict[str, Any]:
    listing = ListResponse[model](  # type: ignore[valid-type]
        total_results=len(items), start_index=1, items_per_page=len(items), resources=items
    )
    return listing.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


@scim_view
def schemas_view(request: HttpRequest, schema_id: str | None = None) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed(request)
    found = schemas(base_url=_base_url(request))
    if schema_id is None:
        return _json(_discovery_list(found, Schema))
    for schema in found:
        if schema.id == schema_id:
            return _json(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise ScimProblem(404, None, f"There is no schema {schema_id}.")


@scim_view
def resource_types_view(request: HttpRequest, name: str | None = None) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed(request)
    found = resource_types(base_url=_base_url(request))
    if name is None:
        return _json(_discovery_list(found, ResourceType))
    for resource_type in found:
        if resource_type.id == name:
            return _json(resource_type.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise ScimProblem(404, None, f"There is no resource type {name}.")


@scim_view
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise ScimProblem(404, None, f"There is no SCIM endpoint /{rest}.")


# Users -------------------------------------------------------------------------------------


def _user_response(
    request: HttpRequest, scim_user: Any, ctx: Context, status: int = 200
) -> HttpResponse:
    resource = user_resource(
        scim_user=selectors.scim_user_get(scim_id=scim_user.scim_id.hex),
        base_url=_base_url(request),
    )
    body = resource.model_dump(scim_ctx=ctx, response_parameters=_response_parameters(request))
    headers = {"ETag": resource.meta.version} if resource.meta and resource.meta.version else {}
    if status == 201 and resource.meta:
        headers["Location"] = str(resource.meta.location)
    return _json(body, status=status, **headers)


@dataclass(frozen=True)
class Query:
    """A listing's parameters, from the query string (GET) or a SearchRequest (POST .search)."""

    filter: str | None
    start_index: int | None
    count: int | None
    parameters: ResponseParameters


def _query(request: HttpRequest) -> Query:
    if request.method == "POST":
        search = SearchRequest.model_validate(_body(request), scim_ctx=Context.SEARCH_REQUEST)
        return Query(
            filter=str(search.filter) if search.filter else None,
            start_index=search.start_index,
            count=search.count,
            parameters=ResponseParameters(
                attributes=search.attributes, excluded_attributes=search.excluded_attributes
            ),
        )
    return Query(
        filter=request.GET.get("filter"),
        start_index=_int_param(request, "startIndex"),
        count=_int_param(request, "count"),
        parameters=_response_parameters(request),
    )


def _user_listing(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    page = selectors.scim_user_page(
        filter_text=query.filter, start_index=query.start_index, count=query.count
    )
    base_url = _base_url(request)
    if not query.parameters.attributes and not query.parameters.excluded_attributes:
        # The common listing (a provider's sync): written directly, the same JSON faster.
        return _json(
            {
                "schemas": [LIST_RESPONSE_SCHEMA],
                "totalResults": page.total,
                "startIndex": page.start_index,
                "itemsPerPage": len(page.rows),
                "Resources": [user_document(scim_user=u, base_url=base_url) for u in page.rows],
            }
        )
    listing = ListResponse[ScimUserResource](
        total_results=page.total,
        start_index=page.start_index,
        items_per_page=len(page.rows),
        resources=[user_resource(scim_user=u, base_url=base_url) for u in page.rows],
    )
    return _json(
        listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query.parameters)
    )


def _group_listing(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    page = selectors.scim_group_page(
        filter_text=query.filter, start_index=query.start_index, count=query.count
    )
    base_url = _base_url(request)
    listing = ListResponse[Group](
        total_results=page.total,
        start_index=page.start_index,
        items_per_page=len(page.rows),
        resources=[group_resource(group=g, base_url=base_url) for g in page.rows],
    )
    return _json(
        listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query.parameters)
    )


@scim_view
def search(request: HttpRequest) -> HttpResponse:
    """POST /.search over every resource type."""
    if request.method != "POST":
        return _method_not_allowed(request)
    query = _query(request)
    total, start, rows = selectors.scim_search_page(
        filter_text=query.filter, start_index=query.start_index, count=query.count
    )
    base_url = _base_url(request)
    resources: list[Any] = [
        user_resource(scim_user=row, base_url=base_url)
        if isinstance(row, ScimUser)
        else group_resource(group=row, base_url=base_url)
        for row in rows
    ]
    listing = ListResponse[ScimUserResource | Group](
        total_results=total, start_index=start, items_per_page=len(rows), resources=resources
    )
    return _json(
        listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query.parameters)
    )


@scim_view
def users_search(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _method_not_allowed(request)
    return _user_listing(request)


@scim_view
def groups_search(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _method_not_allowed(request)
    return _group_listing(request)


@scim_view
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _user_listing(request)
    if request.method == "POST":
        resource = ScimUserResource.model_validate(
            _user_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        scim_user = services.scim_user_create(resource=resource)
        return _user_response(request, scim_user, Context.RESOURCE_CREATION_RESPONSE, 201)
    return _method_not_allowed(request)


@scim_view
def user(request: HttpRequest, scim_id: str) -> HttpResponse:
    scim_user = selectors.scim_user_get(scim_id=scim_id)
    if request.method == "GET":
        return _user_response(request, scim_user, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "PUT":
        resource = ScimUserResource.model_validate(
            _user_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        services.scim_user_replace(scim_user=scim_user, resource=resource)
        return _user_response(request, scim_user, Context.RESOURCE_REPLACEMENT_RESPONSE)
    if request.method == "PATCH":
        patch = PatchOp[ScimUserResource].model_validate(
            _user_patch_body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        services.scim_user_patch(scim_user=scim_user, patch=patch, base_url=_base_url(request))
        return _user_response(request, scim_user, Context.RESOURCE_PATCH_RESPONSE)
    if request.method == "DELETE":
        services.scim_user_delete(scim_user=scim_user)
        return HttpResponse(status=204)
    return _method_not_allowed(request)


# Groups ------------------------------------------------------------------------------------


def _group_response(
    request: HttpRequest, group: Any, ctx: Context, status: int = 200
) -> HttpResponse:
    resource = group_resource(
        group=selectors.scim_group_get(scim_id=group.scim_id.hex), base_url=_base_url(request)
    )
    body = resource.model_dump(scim_ctx=ctx, response_parameters=_response_parameters(request))
    headers = {"ETag": resource.meta.version} if resource.meta and resource.meta.version else {}
    if status == 201 and resource.meta:
        headers["Location"] = str(resource.meta.location)
    return _json(body, status=status, **headers)


@scim_view
def groups(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _group_listing(request)
    if request.method == "POST":
        resource = Group.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        group = services.scim_group_create(resource=resource)
        return _group_response(request, group, Context.RESOURCE_CREATION_RESPONSE, 201)
    return _method_not_allowed(request)


@scim_view
def group(request: HttpRequest, scim_id: str) -> HttpResponse:
    found = selectors.scim_group_get(scim_id=scim_id)
    if request.method == "GET":
        return _group_response(request, found, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "PUT":
        resource = Group.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        services.scim_group_replace(group=found, resource=resource)
        return _group_response(request, found, Context.RESOURCE_REPLACEMENT_RESPONSE)
    if request.method == "PATCH":
        patch = PatchOp[Group].model_validate(
            _body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        services.scim_group_patch(group=found, patch=patch, base_url=_base_url(request))
        return _group_response(request, found, Context.RESOURCE_PATCH_RESPONSE)
    if request.method == "DELETE":
        services.scim_group_delete(group=found)
        return HttpResponse(status=204)
    return _method_not_allowed(request)
