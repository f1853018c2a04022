"""CRM v3 properties and property groups of contacts.

https://developers.hubspot.com/docs/api/crm/properties
Creating a property or group that exists answers 409, which clients (ours
included) treat as "already there".
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from sandbox.hubspot import errors
from sandbox.hubspot.api.common import READ, SCHEMA_WRITE, json_body, sandbox_of
from sandbox.hubspot.properties import PROPERTY_NAME, TYPES_AND_FIELD_TYPES, GroupDef, PropertyDef
from sandbox.hubspot.store import PropertyExists
from sandbox.hubspot.tokens import AccessToken

blueprint = Blueprint("properties", __name__, url_prefix="/crm/v3/properties/<object_type>")

CONTACT_TYPES = ("contacts", "contact", "0-1")
SCHEMA_READ = "crm.schemas.contacts.read"


def check_object_type(object_type: str) -> None:
    if object_type.lower() not in CONTACT_TYPES:
        raise errors.validation(
            f"Unable to infer object type from: {object_type} (the sandbox has contacts only)"
        )


def require_any(*scopes: str) -> None:
    token: AccessToken = g.token
    if not set(scopes) & set(token.scopes):
        raise errors.missing_scopes(list(scopes))


def definitions() -> dict[str, PropertyDef]:
    return sandbox_of().store.portal(g.portal_id).properties


@blueprint.get("")
def list_properties(object_type: str) -> Response:
    check_object_type(object_type)
    require_any(READ, SCHEMA_READ)
    return jsonify({"results": [prop.to_api() for prop in definitions().values()]})


@blueprint.get("/<name>")
def get_property(object_type: str, name: str) -> Response:
    check_object_type(object_type)
    require_any(READ, SCHEMA_READ)
    prop = definitions().get(name)
    if prop is None:
        raise errors.not_found(f"Unable to find property {name}")
    return jsonify(prop.to_api())


def property_from(body: dict[str, Any]) -> PropertyDef:
    missing = [
        key for key in ("name", "label", "type", "fieldType", "groupName") if not body.get(key)
    ]
    if missing:
        raise errors.validation(
            f"Missing required fields: {', '.join(missing)}", context={"missingFields": missing}
        )
    name = str(body["name"])
    if not PROPERTY_NAME.match(name):
        raise errors.validation(
            f"Property name {name!r} is invalid: use lower case letters, digits and underscores, "
            "starting with a letter."
        )
    kind, field_type = body["type"], body["fieldType"]
    if field_type not in TYPES_AND_FIELD_TYPES.get(kind, set()):
        raise errors.validation(f"fieldType {field_type!r} is not valid for type {kind!r}")
    options = body.get("options") or []
    if kind == "enumeration" and not options:
        raise errors.validation("An enumeration property needs options.")
    if body["groupName"] not in sandbox_of().store.portal(g.portal_id).groups:
        raise errors.validation(f"Property group {body['groupName']!r} does not exist.")
    return PropertyDef(
        name,
        str(body["label"]),
        kind,
        field_type,
        body["groupName"],
        description=str(body.get("description") or ""),
        options=[normalise_option(option, index) for index, option in enumerate(options)],
        display_order=int(body.get("displayOrder", -1)),
        hidden=bool(body.get("hidden", False)),
        form_field=bool(body.get("formField", False)),
        has_unique_value=bool(body.get("hasUniqueValue", False)),
    )


def normalise_option(option: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "label": str(option.get("label", option.get("value", ""))),
        "value": str(option.get("value", "")),
        "description": str(option.get("description") or ""),
        "displayOrder": int(option.get("displayOrder", index)),
        "hidden": bool(option.get("hidden", False)),
    }


@blueprint.post("")
def create_property(object_type: str) -> tuple[Response, int]:
    check_object_type(object_type)
    require_any(SCHEMA_WRITE)
    prop = property_from(json_body())
    try:
        sandbox_of().store.add_property(g.portal_id, prop)
    except PropertyExists:
        raise errors.ApiError(
            409, "OBJECT_ALREADY_EXISTS", f"Property named '{prop.name}' already exists."
        ) from None
    return jsonify(prop.to_api()), 201


@blueprint.patch("/<name>")
def update_property(object_type: str, name: str) -> Response:
    check_object_type(object_type)
    require_any(SCHEMA_WRITE)
    body = json_body()
    with sandbox_of().store.lock:
        prop = definitions().get(name)
        if prop is None:
            raise errors.not_found(f"Unable to find property {name}")
        if prop.hubspot_defined and set(body) - {"options", "label", "description"}:
            raise errors.validation(f"Property {name} is defined by HubSpot and read-only.")
        prop.label = str(body.get("label", prop.label))
        prop.description = str(body.get("description", prop.description))
        if "options" in body:
            prop.options = [normalise_option(o, i) for i, o in enumerate(body["options"])]
        prop.hidden = bool(body.get("hidden", prop.hidden))
    return jsonify(prop.to_api())


@blueprint.get("/groups")
def list_groups(object_type: str) -> Response:
    check_object_type(object_type)
    require_any(READ, SCHEMA_READ)
    groups = sandbox_of().store.portal(g.portal_id).groups.values()
    return jsonify({"results": [group.to_api() for group in groups]})


@blueprint.get("/groups/<name>")
def get_group(object_type: str, name: str) -> Response:
    check_object_type(object_type)
    require_any(READ, SCHEMA_READ)
    group = sandbox_of().store.portal(g.portal_id).groups.get(name)
    if group is None:
        raise errors.not_found(f"Unable to find property group {name}")
    return jsonify(group.to_api())


@blueprint.post("/groups")
def create_group(object_type: str) -> tuple[Response, int]:
    check_object_type(object_type)
    require_any(SCHEMA_WRITE)
    body = json_body()
    name, label = str(body.get("name") or ""), str(body.get("label") or "")
    if not PROPERTY_NAME.match(name) or not label:
        raise errors.validation("A group needs a valid `name` and a `label`.")
    group = GroupDef(name, label, int(body.get("displayOrder", -1)))
    try:
        sandbox_of().store.add_group(g.portal_id, group)
    except PropertyExists:
        raise errors.ApiError(
            409, "OBJECT_ALREADY_EXISTS", f"A property group named '{name}' already exists."
        ) from None
    return jsonify(group.to_api()), 201
