"""The CRM search language: filter groups (OR) of filters (AND), sorts, a text query.

https://developers.hubspot.com/docs/api/crm/search
"""

from __future__ import annotations

import fnmatch
from datetime import datetime
from typing import Any

from sandbox.hubspot.properties import PropertyDef
from sandbox.hubspot.store import Contact

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
# Properties the free-text `query` looks at, as HubSpot's default searchable ones.
QUERY_PROPERTIES = ("firstname", "lastname", "email", "phone", "company")
OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


class SearchError(ValueError):
    """A search request HubSpot would refuse (answered 400)."""


def comparable(value: Any, prop: PropertyDef | None) -> Any:
    """Numbers and times compare as numbers (times in epoch ms), the rest as lower text."""
    text = str(value)
    if prop is not None and prop.type in ("date", "datetime"):
        if text.isdigit():
            return int(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    try:
        return float(text)
    except ValueError:
        return text.lower()


def matches_filter(contact: Contact, spec: dict[str, Any], props: dict[str, PropertyDef]) -> bool:
    name = spec.get("propertyName")
    operator = spec.get("operator", "EQ")
    if operator not in OPERATORS:
        raise SearchError(f"Unknown operator {operator!r}")
    prop = props.get(name or "")
    raw = contact.properties.get(name or "")
    if operator == "HAS_PROPERTY":
        return bool(raw)
    if operator == "NOT_HAS_PROPERTY":
        return not raw
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        found = raw is not None and contains_token(raw, str(spec.get("value", "")))
        return found if operator == "CONTAINS_TOKEN" else not found
    if operator in ("IN", "NOT_IN"):
        values = {comparable(value, prop) for value in spec.get("values", [])}
        inside = raw is not None and comparable(raw, prop) in values
        return inside if operator == "IN" else not inside
    if raw is None or raw == "":
        return operator == "NEQ"
    try:
        return compare(comparable(raw, prop), operator, spec, prop)
    except TypeError:  # a number against text: not a match, as HubSpot finds none
        return False


def compare(have: Any, operator: str, spec: dict[str, Any], prop: PropertyDef | None) -> bool:
    if operator == "BETWEEN":
        low = comparable(spec.get("value"), prop)
        high = comparable(spec.get("highValue"), prop)
        return low <= have <= high
    want = comparable(spec.get("value", ""), prop)
    return {
        "EQ": have == want,
        "NEQ": have != want,
        "LT": have < want,
        "LTE": have <= want,
        "GT": have > want,
        "GTE": have >= want,
    }[operator]


def contains_token(value: str, token: str) -> bool:
    token = token.lower()
    if "*" in token:
        return fnmatch.fnmatch(value.lower(), token)
    return (
        token in value.lower().replace("@", " ").replace(".", " ").split() or token in value.lower()
    )


def check_limits(groups: list[dict[str, Any]]) -> None:
    if len(groups) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups: at most {MAX_GROUPS} are allowed")
    sizes = [len(group.get("filters", [])) for group in groups]
    if any(size > MAX_FILTERS_PER_GROUP for size in sizes) or sum(sizes) > MAX_FILTERS:
        raise SearchError(
            f"Too many filters: at most {MAX_FILTERS_PER_GROUP} per group and {MAX_FILTERS} in all"
        )


def matches(contact: Contact, body: dict[str, Any], props: dict[str, PropertyDef]) -> bool:
    query = str(body.get("query") or "").strip().lower()
    if query and not any(
        query in contact.properties.get(name, "").lower() for name in QUERY_PROPERTIES
    ):
        return False
    groups = body.get("filterGroups") or []
    if not groups:
        return True
    return any(
        all(matches_filter(contact, spec, props) for spec in group.get("filters", []))
        for group in groups
    )


def sort_key_for(sort: Any) -> tuple[str, bool]:
    """A sort is "name", "-name" or {"propertyName", "direction"}; returns (name, descending)."""
    if isinstance(sort, dict):
        return str(sort.get("propertyName")), sort.get("direction") == "DESCENDING"
    text = str(sort)
    return text.lstrip("-"), text.startswith("-")


def ordered(
    contacts: list[Contact], sorts: list[Any], props: dict[str, PropertyDef]
) -> list[Contact]:
    result = sorted(contacts, key=lambda contact: contact.id)
    for sort in reversed(sorts[:1]):  # HubSpot honours one sort
        name, descending = sort_key_for(sort)
        prop = props.get(name)

        def key(contact: Contact, name: str = name, prop: PropertyDef | None = prop) -> tuple:
            raw = contact.properties.get(name)
            if raw in (None, ""):
                return (1, 0, "")
            value = comparable(raw, prop)
            return (0, value, "") if not isinstance(value, str) else (0, 0, value)

        result.sort(key=key, reverse=descending)
    return result
