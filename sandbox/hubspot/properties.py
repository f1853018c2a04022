"""Contact property definitions: HubSpot's built-in ones and value validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

# HubSpot's internal names: lower case letters, digits and underscores, starting
# with a letter.
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

TYPES_AND_FIELD_TYPES = {
    "string": {"text", "textarea", "file", "html", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox"},
    "date": {"date"},
    "datetime": {"date"},
    "phone_number": {"phonenumber", "text"},
}

LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

# Changes of these never produce webhook events (HubSpot excludes them).
NO_EVENT_PROPERTIES = frozenset({"lastmodifieddate", "hs_lastmodifieddate"})


@dataclass
class PropertyDef:
    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    display_order: int = -1
    hidden: bool = False
    form_field: bool = False
    has_unique_value: bool = False
    hubspot_defined: bool = False
    read_only: bool = False
    created_at: str = ""
    updated_at: str = ""

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group_name,
            "description": self.description,
            "options": self.options,
            "displayOrder": self.display_order,
            "hidden": self.hidden,
            "formField": self.form_field,
            "hasUniqueValue": self.has_unique_value,
            "hubspotDefined": self.hubspot_defined,
            "calculated": False,
            "externalOptions": False,
            "archived": False,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
        }


@dataclass
class GroupDef:
    name: str
    label: str
    display_order: int = -1

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": False,
        }


def options_for(values: list[str]) -> list[dict[str, Any]]:
    return [
        {"label": value, "value": value, "displayOrder": index, "hidden": False}
        for index, value in enumerate(values)
    ]


def builtin_groups() -> list[GroupDef]:
    return [
        GroupDef("contactinformation", "Contact information", 0),
        GroupDef("contact_activity", "Contact activity", 1),
    ]


def builtin_properties(now: str) -> list[PropertyDef]:
    """The few HubSpot-defined contact properties the product and the seed use."""
    info = "contactinformation"

    def text(name: str, label: str) -> PropertyDef:
        return PropertyDef(name, label, "string", "text", info, hubspot_defined=True)

    defined = [
        text("email", "Email"),
        text("firstname", "First Name"),
        text("lastname", "Last Name"),
        text("phone", "Phone Number"),
        text("company", "Company Name"),
        text("jobtitle", "Job Title"),
        PropertyDef(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            info,
            options=options_for(list(LIFECYCLE_STAGES)),
            hubspot_defined=True,
        ),
        PropertyDef("createdate", "Create Date", "datetime", "date", info, hubspot_defined=True),
        PropertyDef(
            "lastmodifieddate",
            "Last Modified Date",
            "datetime",
            "date",
            info,
            hubspot_defined=True,
            read_only=True,
        ),
        PropertyDef(
            "hs_object_id",
            "Record ID",
            "number",
            "number",
            info,
            hubspot_defined=True,
            read_only=True,
        ),
    ]
    for prop in defined:
        prop.created_at = prop.updated_at = now
    return defined


def check_value(prop: PropertyDef, value: Any) -> str | None:
    """Return the value as HubSpot stores it (a string, "" to clear), or raise ValueError."""
    if value is None or value == "":
        return ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if prop.type == "number":
        float(text)  # raises ValueError like HubSpot's INVALID_NUMBER
        return text
    if prop.type == "enumeration":
        allowed = {option["value"] for option in prop.options}
        chosen = text.split(";") if prop.field_type == "checkbox" else [text]
        if not set(chosen) <= allowed:
            raise ValueError(f"{text!r} was not one of the allowed options")
        return text
    if prop.type == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not a valid boolean")
        return text
    if prop.type in ("date", "datetime"):
        return normalise_datetime(text, date_only=prop.type == "date")
    return text


def normalise_datetime(text: str, *, date_only: bool) -> str:
    """HubSpot takes ISO 8601 or epoch milliseconds; a date must be midnight UTC."""
    if text.isdigit():
        moment = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    elif len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if date_only:
        if (moment.hour, moment.minute, moment.second) != (0, 0, 0):
            raise ValueError(f"{text!r} is not midnight UTC")
        return moment.date().isoformat()
    return iso(moment)


def iso(moment: datetime) -> str:
    """HubSpot's timestamp format: UTC, milliseconds, a Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
