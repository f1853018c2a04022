"""CRM v3 contacts: list, get, create, update, archive, batches, search, merge, GDPR.

https://developers.hubspot.com/docs/api/crm/contacts
Batch answers are 200 when every input succeeded and 207 with per-record
errors otherwise; a request naming an undefined property fails as a whole.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from sandbox.hubspot import errors, search
from sandbox.hubspot.api.common import (
    READ,
    WRITE,
    int_arg,
    json_body,
    list_arg,
    require_scope,
    sandbox_of,
    writer,
)
from sandbox.hubspot.store import (
    Contact,
    ContactNotFound,
    DuplicateEmail,
    InvalidValues,
    Store,
    UnknownProperties,
    now_iso,
)

blueprint = Blueprint("contacts", __name__, url_prefix="/crm/v3/objects/contacts")

MAX_BATCH_INPUTS = 100
MAX_HISTORY_INPUTS = 50  # histories are not returned, but the cap is enforced
MAX_LIST_LIMIT = 100
MAX_SEARCH_LIMIT = 200
MAX_SEARCH_RESULTS = 10_000
NOT_FOUND_MESSAGE = (
    "Could not get some CONTACT objects, they may be deleted or not exist. "
    "Check that ids are valid."
)


def store() -> Store:
    return sandbox_of().store


def unknown_properties_error(names: list[str]) -> errors.ApiError:
    """HubSpot's message embeds a JSON list of per-property verdicts."""
    details = [
        {
            "isValid": False,
            "message": f'Property "{name}" does not exist',
            "error": "PROPERTY_DOESNT_EXIST",
            "name": name,
            "localizedErrorMessage": f'Property "{name}" does not exist',
            "portalId": g.portal_id,
        }
        for name in names
    ]
    return errors.validation(
        f"Property values were not valid: {json.dumps(details)}",
        context={"propertyName": names},
    )


def invalid_values_body(problems: list[tuple[str, str]], contact_id: str | None) -> dict[str, Any]:
    details = [
        {"isValid": False, "message": message, "error": "INVALID_OPTION", "name": name}
        for name, message in problems
    ]
    body = errors.error_body(
        "VALIDATION_ERROR",
        f"Property values were not valid: {json.dumps(details)}",
        context={"propertyName": [name for name, _ in problems]},
    )
    if contact_id is not None:
        body["id"] = contact_id
        body["context"]["ids"] = [contact_id]
    return body


def batch_inputs(body: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise errors.validation("Invalid input JSON: `inputs` must be a list.")
    if len(inputs) > MAX_BATCH_INPUTS:
        raise errors.validation(
            f"Batch input too large: at most {MAX_BATCH_INPUTS} inputs are allowed, "
            f"received {len(inputs)}.",
            context={"maxInputs": [str(MAX_BATCH_INPUTS)]},
        )
    if not all(isinstance(item, dict) for item in inputs):
        raise errors.validation("Invalid input JSON: every input must be an object.")
    return inputs


def batch_answer(
    results: list[dict[str, Any]], failures: list[dict[str, Any]], started: str
) -> tuple[Response, int]:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": now_iso(),
    }
    if not failures:
        return jsonify(body), 200
    body["numErrors"] = len(failures)
    body["errors"] = failures
    return jsonify(body), 207


def not_found_error(ids: list[str]) -> dict[str, Any]:
    return errors.error_body("OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE, context={"ids": ids})


def properties_of(body: dict[str, Any]) -> dict[str, Any]:
    values = body.get("properties")
    if not isinstance(values, dict):
        raise errors.validation("Invalid input JSON: `properties` must be an object.")
    return values


# -- single records -------------------------------------------------------------------


@blueprint.get("")
def list_contacts() -> Response:
    require_scope(READ)
    limit = int_arg("limit", 10, MAX_LIST_LIMIT)
    after = request.args.get("after", "0")
    if not after.isdigit():
        raise errors.validation("after must be a cursor returned by a previous page")
    archived = request.args.get("archived", "false").lower() == "true"
    names = list_arg("properties")
    with store().lock:
        contacts, next_id = store().page(g.portal_id, int(after), limit, archived)
        page = [contact.to_api(names) for contact in contacts]
    body: dict[str, Any] = {"results": page}
    if next_id is not None:
        link = f"{request.base_url}?after={next_id}&limit={limit}"
        body["paging"] = {"next": {"after": str(next_id), "link": link}}
    return jsonify(body)


@blueprint.get("/<contact_id>")
def get_contact(contact_id: str) -> Response:
    require_scope(READ)
    archived = request.args.get("archived", "false").lower() == "true"
    try:
        if archived:
            contact = store().archived_contact(g.portal_id, contact_id)
        else:
            contact = store().find_by(g.portal_id, request.args.get("idProperty"), contact_id)
    except ContactNotFound:
        raise errors.not_found() from None
    return jsonify(contact.to_api(list_arg("properties")))


@blueprint.post("")
def create_contact() -> tuple[Response, int]:
    require_scope(WRITE)
    values = properties_of(json_body())
    try:
        contact = store().create(g.portal_id, values, writer())
    except UnknownProperties as error:
        raise unknown_properties_error(error.names) from None
    except InvalidValues as error:
        raise errors.ApiError(
            400, "VALIDATION_ERROR", "", extra=invalid_values_body(error.problems, None)
        ) from None
    except DuplicateEmail as error:
        raise conflict(error) from None
    return jsonify(contact.to_api(list(values))), 201


def conflict(error: DuplicateEmail) -> errors.ApiError:
    return errors.ApiError(
        409, "CONFLICT", str(error), extra={"subCategory": "OBJECT_ALREADY_EXISTS"}
    )


@blueprint.patch("/<contact_id>")
def update_contact(contact_id: str) -> Response:
    require_scope(WRITE)
    values = properties_of(json_body())
    try:
        found = store().find_by(g.portal_id, request.args.get("idProperty"), contact_id)
        contact, _ = store().update(g.portal_id, found.id, values, writer())
    except ContactNotFound:
        raise errors.not_found() from None
    except UnknownProperties as error:
        raise unknown_properties_error(error.names) from None
    except InvalidValues as error:
        raise errors.ApiError(
            400, "VALIDATION_ERROR", "", extra=invalid_values_body(error.problems, contact_id)
        ) from None
    except DuplicateEmail as error:
        raise conflict(error) from None
    return jsonify(contact.to_api(list(values)))


@blueprint.delete("/<contact_id>")
def archive_contact(contact_id: str) -> Response:
    require_scope(WRITE)
    # HubSpot answers 204 for an id that does not exist, too.
    with contextlib.suppress(ContactNotFound, ValueError):
        store().archive(g.portal_id, int(contact_id), writer())
    return Response(status=204)


# -- batches ------------------------------------------------------------------------------


@blueprint.post("/batch/read")
def batch_read() -> tuple[Response, int]:
    require_scope(READ)
    started = now_iso()
    body = json_body()
    inputs = batch_inputs(body)
    if body.get("propertiesWithHistory") and len(inputs) > MAX_HISTORY_INPUTS:
        raise errors.validation(
            "The maximum number of inputs supported in a batch request for property "
            f"histories is {MAX_HISTORY_INPUTS}"
        )
    names = body.get("properties") or None
    id_property = body.get("idProperty")
    results, missing = [], []
    with store().lock:
        for item in inputs:
            try:
                contact = store().find_by(g.portal_id, id_property, str(item.get("id", "")))
            except ContactNotFound:
                missing.append(str(item.get("id", "")))
                continue
            results.append(contact.to_api(names))
    return batch_answer(results, [not_found_error(missing)] if missing else [], started)


@blueprint.post("/batch/update")
def batch_update() -> tuple[Response, int]:
    require_scope(WRITE)
    started = now_iso()
    inputs = batch_inputs(json_body())
    ids = [str(item.get("id", "")) for item in inputs]
    if len(set(ids)) != len(ids):
        raise errors.validation("Duplicate IDs found in batch input.", context={"ids": ids})
    results, failures, missing = [], [], []
    with store().lock:
        names = sorted({name for item in inputs for name in properties_of(item)})
        unknown = [n for n in names if n not in store().portal(g.portal_id).properties]
        if unknown:
            raise unknown_properties_error(unknown)
        for item in inputs:
            outcome = update_one(item)
            if isinstance(outcome, Contact):
                results.append(outcome.to_api(list(properties_of(item))))
            elif outcome is None:
                missing.append(str(item.get("id")))
            else:
                failures.append(outcome)
    if missing:
        failures.insert(0, not_found_error(missing))
    if not g.token.private:
        sandbox_of().stats.count_app_writes([contact["id"] for contact in results])
    return batch_answer(results, failures, started)


def update_one(item: dict[str, Any]) -> Contact | dict[str, Any] | None:
    """The updated contact, an error body, or None when the id is unknown."""
    try:
        found = store().find_by(g.portal_id, item.get("idProperty"), str(item.get("id", "")))
        contact, _ = store().update(g.portal_id, found.id, properties_of(item), writer())
    except ContactNotFound:
        return None
    except InvalidValues as error:
        return invalid_values_body(error.problems, str(item.get("id")))
    except DuplicateEmail as error:
        return errors.error_body("CONFLICT", str(error), context={"ids": [str(item.get("id"))]})
    return contact


@blueprint.post("/batch/create")
def batch_create() -> tuple[Response, int]:
    require_scope(WRITE)
    started = now_iso()
    inputs = batch_inputs(json_body())
    results, failures = [], []
    with store().lock:
        for item in inputs:
            try:
                contact = store().create(g.portal_id, properties_of(item), writer())
            except UnknownProperties as error:
                raise unknown_properties_error(error.names) from None
            except InvalidValues as error:
                failures.append(invalid_values_body(error.problems, None))
                continue
            except DuplicateEmail as error:
                failures.append(errors.error_body("CONFLICT", str(error)))
                continue
            results.append(contact.to_api(list(properties_of(item))))
    response, status = batch_answer(results, failures, started)
    return response, 201 if status == 200 else status


@blueprint.post("/batch/archive")
def batch_archive() -> Response:
    require_scope(WRITE)
    for item in batch_inputs(json_body()):
        try:
            store().archive(g.portal_id, int(item.get("id", "")), writer())
        except (ContactNotFound, ValueError):
            continue
    return Response(status=204)


# -- search, merge, GDPR -------------------------------------------------------------


@blueprint.post("/search")
def search_contacts() -> Response:
    require_scope(READ)
    body = json_body()
    limit = body.get("limit") or 10
    after = str(body.get("after") or "0")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise errors.validation(f"limit must be between 1 and {MAX_SEARCH_LIMIT}")
    if not after.isdigit():
        raise errors.validation("after must be a cursor returned by a previous page")
    offset = int(after)
    if offset >= MAX_SEARCH_RESULTS:
        raise errors.validation(
            f"The search API returns at most {MAX_SEARCH_RESULTS} results; "
            "narrow the filters instead of paging further."
        )
    groups = body.get("filterGroups") or []
    with store().lock:
        props = store().portal(g.portal_id).properties
        try:
            search.check_limits(groups)
            found = [
                c for c in store().live_contacts(g.portal_id) if search.matches(c, body, props)
            ]
        except ValueError as error:  # SearchError, or a filter value of the wrong kind
            raise errors.validation(str(error)) from None
        found = search.ordered(found, body.get("sorts") or [], props)
        names = body.get("properties") or None
        page = [contact.to_api(names) for contact in found[offset : offset + limit]]
    answer: dict[str, Any] = {"total": len(found), "results": page}
    end = offset + limit
    if end < min(len(found), MAX_SEARCH_RESULTS):
        answer["paging"] = {"next": {"after": str(end)}}
    return jsonify(answer)


@blueprint.post("/merge")
def merge() -> Response:
    require_scope(WRITE)
    body = json_body()
    try:
        primary = int(body.get("primaryObjectId", ""))
        other = int(body.get("objectIdToMerge", ""))
    except ValueError:
        raise errors.validation("primaryObjectId and objectIdToMerge must be contact ids") from None
    if primary == other:
        raise errors.validation("A contact cannot be merged with itself.")
    try:
        contact = store().merge(g.portal_id, primary, other, writer())
    except ContactNotFound:
        raise errors.not_found() from None
    return jsonify(contact.to_api(None))


@blueprint.post("/gdpr-delete")
def gdpr_delete() -> Response:
    require_scope(WRITE)
    body = json_body()
    try:
        contact = store().find_by(
            g.portal_id, body.get("idProperty"), str(body.get("objectId", ""))
        )
        store().gdpr_delete(g.portal_id, contact.id, writer())
    except ContactNotFound:
        raise errors.not_found() from None
    return Response(status=204)
