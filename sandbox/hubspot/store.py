"""In-memory CRM state of every portal, guarded by one lock.

Every change goes through `Store`, which tells its listeners (the webhook
dispatcher) what changed, so API writes, simulated edits, merges and deletions
all produce the same events.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.hubspot.properties import (
    NO_EVENT_PROPERTIES,
    GroupDef,
    PropertyDef,
    builtin_groups,
    builtin_properties,
    check_value,
    iso,
)


class StoreError(Exception):
    """Base of the domain errors the HTTP layer turns into HubSpot's answers."""


class UnknownProperties(StoreError):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


class InvalidValues(StoreError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


class DuplicateEmail(StoreError):
    def __init__(self, existing_id: int) -> None:
        super().__init__(f"Contact already exists. Existing ID: {existing_id}")
        self.existing_id = existing_id


class ContactNotFound(StoreError):
    """No such contact in the portal (answered 404, or listed in a 207)."""


class PropertyExists(StoreError):
    """A property or group of that name exists already (answered 409)."""


@dataclass(frozen=True)
class Source:
    """Who made a change: HubSpot's changeSource and sourceId of the event."""

    change_source: str
    source_id: str | None = None


SEED_SOURCE = Source("IMPORT", None)


@dataclass
class Change:
    kind: str  # creation, propertyChange, deletion, privacyDeletion, merge, restore
    portal_id: int
    object_id: int
    source: Source
    occurred_at: int
    property_name: str | None = None
    property_value: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Contact:
    id: int
    properties: dict[str, str]
    created_at: str
    updated_at: str
    archived: bool = False
    archived_at: str | None = None

    def to_api(self, names: list[str] | None) -> dict[str, Any]:
        """HubSpot's SimplePublicObject; unset requested properties come back as null."""
        wanted = names if names is not None else list(DEFAULT_RETURNED)
        shown = {name: self.properties.get(name) or None for name in wanted}
        for name in ("hs_object_id", "createdate", "lastmodifieddate"):
            shown[name] = self.properties.get(name)
        body: dict[str, Any] = {
            "id": str(self.id),
            "properties": shown,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": self.archived,
        }
        if self.archived_at:
            body["archivedAt"] = self.archived_at
        return body


# What HubSpot returns when a request names no properties.
DEFAULT_RETURNED = ("email", "firstname", "lastname", "createdate", "lastmodifieddate")


@dataclass
class Portal:
    portal_id: int
    private_token: str
    contacts: dict[int, Contact] = field(default_factory=dict)
    properties: dict[str, PropertyDef] = field(default_factory=dict)
    groups: dict[str, GroupDef] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    # Every id ever created and not purged, ascending (ids only grow), for paging.
    ids: list[int] = field(default_factory=list)
    next_id: int = 1


def now_iso() -> str:
    return iso(datetime.now(UTC))


def now_ms() -> int:
    return int(time.time() * 1000)


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.portals: dict[int, Portal] = {}
        self.listeners: list[Callable[[list[Change]], None]] = []

    # -- portals and definitions -------------------------------------------------

    def add_portal(self, portal_id: int, private_token: str) -> Portal:
        portal = Portal(portal_id, private_token)
        stamp = now_iso()
        portal.groups = {group.name: group for group in builtin_groups()}
        portal.properties = {prop.name: prop for prop in builtin_properties(stamp)}
        with self.lock:
            self.portals[portal_id] = portal
        return portal

    def portal(self, portal_id: int) -> Portal:
        return self.portals[portal_id]

    def add_group(self, portal_id: int, group: GroupDef) -> GroupDef:
        with self.lock:
            groups = self.portals[portal_id].groups
            if group.name in groups:
                raise PropertyExists(group.name)
            groups[group.name] = group
            return group

    def add_property(self, portal_id: int, prop: PropertyDef) -> PropertyDef:
        with self.lock:
            properties = self.portals[portal_id].properties
            if prop.name in properties:
                raise PropertyExists(prop.name)
            prop.created_at = prop.updated_at = now_iso()
            properties[prop.name] = prop
            return prop

    # -- contacts ------------------------------------------------------------------

    def live_contact(self, portal_id: int, contact_id: int) -> Contact:
        contact = self.portals[portal_id].contacts.get(contact_id)
        if contact is None or contact.archived:
            raise ContactNotFound(str(contact_id))
        return contact

    def archived_contact(self, portal_id: int, contact_id: str) -> Contact:
        contacts = self.portals[portal_id].contacts
        contact = contacts.get(int(contact_id)) if contact_id.isdigit() else None
        if contact is None or not contact.archived:
            raise ContactNotFound(contact_id)
        return contact

    def find_by(self, portal_id: int, id_property: str | None, value: str) -> Contact:
        portal = self.portals[portal_id]
        if id_property in (None, "", "hs_object_id"):
            if not value.isdigit():
                raise ContactNotFound(value)
            return self.live_contact(portal_id, int(value))
        if id_property == "email" and value.lower() in portal.emails:
            return self.live_contact(portal_id, portal.emails[value.lower()])
        raise ContactNotFound(value)

    def clean(self, portal_id: int, values: dict[str, Any]) -> dict[str, str]:
        """Check names first (a whole request fails), then values (one record fails)."""
        definitions = self.portals[portal_id].properties
        unknown = sorted(name for name in values if name not in definitions)
        if unknown:
            raise UnknownProperties(unknown)
        cleaned: dict[str, str] = {}
        problems: list[tuple[str, str]] = []
        for name, value in values.items():
            prop = definitions[name]
            if prop.read_only:
                problems.append((name, "is a read only property; its value cannot be set"))
                continue
            try:
                cleaned[name] = check_value(prop, value)
            except ValueError as error:
                problems.append((name, str(error)))
        if problems:
            raise InvalidValues(problems)
        return cleaned

    def create(
        self,
        portal_id: int,
        values: dict[str, Any],
        source: Source,
        *,
        created_at: str | None = None,
        trusted: bool = False,
    ) -> Contact:
        """Create a contact; `trusted` skips validation and events (seeding)."""
        with self.lock:
            portal = self.portals[portal_id]
            cleaned = (
                {k: str(v) for k, v in values.items()} if trusted else self.clean(portal_id, values)
            )
            email = cleaned.get("email", "").lower()
            if email and email in portal.emails:
                raise DuplicateEmail(portal.emails[email])
            contact_id = portal.next_id
            portal.next_id += 1
            stamp = created_at or now_iso()
            cleaned = {k: v for k, v in cleaned.items() if v != ""}
            cleaned.setdefault("createdate", stamp)
            cleaned.setdefault("lastmodifieddate", stamp)
            cleaned["hs_object_id"] = str(contact_id)
            contact = Contact(
                contact_id, cleaned, cleaned["createdate"], cleaned["lastmodifieddate"]
            )
            portal.contacts[contact_id] = contact
            portal.ids.append(contact_id)
            if email:
                portal.emails[email] = contact_id
            if not trusted:
                self._announce_creation(portal_id, contact, source)
            return contact

    def _announce_creation(self, portal_id: int, contact: Contact, source: Source) -> None:
        at = now_ms()
        changes = [Change("creation", portal_id, contact.id, source, at)]
        changes += [
            Change("propertyChange", portal_id, contact.id, source, at, name, value)
            for name, value in contact.properties.items()
            if name not in NO_EVENT_PROPERTIES
        ]
        self._emit(changes)

    def update(
        self, portal_id: int, contact_id: int, values: dict[str, Any], source: Source
    ) -> tuple[Contact, dict[str, str]]:
        """Apply new values; return the contact and the values that really changed."""
        with self.lock:
            contact = self.live_contact(portal_id, contact_id)
            cleaned = self.clean(portal_id, values)
            return contact, self.apply(portal_id, contact, cleaned, source)

    def apply(
        self, portal_id: int, contact: Contact, cleaned: dict[str, str], source: Source
    ) -> dict[str, str]:
        """Write already checked values (simulation, merge) and announce the changes."""
        with self.lock:
            changed = {
                name: value
                for name, value in cleaned.items()
                if contact.properties.get(name, "") != value
            }
            if not changed:
                return {}
            self._reindex_email(portal_id, contact, changed)
            for name, value in changed.items():
                if value == "":
                    contact.properties.pop(name, None)
                else:
                    contact.properties[name] = value
            contact.updated_at = now_iso()
            contact.properties["lastmodifieddate"] = contact.updated_at
            at = now_ms()
            self._emit(
                [
                    Change("propertyChange", portal_id, contact.id, source, at, name, value)
                    for name, value in changed.items()
                    if name not in NO_EVENT_PROPERTIES
                ]
            )
            return changed

    def _reindex_email(self, portal_id: int, contact: Contact, changed: dict[str, str]) -> None:
        if "email" not in changed:
            return
        emails = self.portals[portal_id].emails
        new = changed["email"].lower()
        if new and emails.get(new, contact.id) != contact.id:
            raise DuplicateEmail(emails[new])
        emails.pop(contact.properties.get("email", "").lower(), None)
        if new:
            emails[new] = contact.id

    def archive(self, portal_id: int, contact_id: int, source: Source) -> None:
        with self.lock:
            contact = self.live_contact(portal_id, contact_id)
            contact.archived = True
            contact.archived_at = now_iso()
            self.portals[portal_id].emails.pop(contact.properties.get("email", "").lower(), None)
            self._emit([Change("deletion", portal_id, contact_id, source, now_ms())])

    def restore(self, portal_id: int, contact_id: int, source: Source) -> Contact:
        with self.lock:
            contact = self.portals[portal_id].contacts.get(contact_id)
            if contact is None or not contact.archived:
                raise ContactNotFound(str(contact_id))
            contact.archived = False
            contact.archived_at = None
            email = contact.properties.get("email", "").lower()
            if email:
                self.portals[portal_id].emails[email] = contact_id
            self._emit([Change("restore", portal_id, contact_id, source, now_ms())])
            return contact

    def gdpr_delete(self, portal_id: int, contact_id: int, source: Source) -> None:
        """Remove every trace. HubSpot sends privacyDeletion and a deletion."""
        with self.lock:
            portal = self.portals[portal_id]
            contact = self.live_contact(portal_id, contact_id)
            portal.emails.pop(contact.properties.get("email", "").lower(), None)
            del portal.contacts[contact_id]
            portal.ids.pop(bisect.bisect_left(portal.ids, contact_id))
            at = now_ms()
            self._emit([Change("privacyDeletion", portal_id, contact_id, source, at)])
            self._emit([Change("deletion", portal_id, contact_id, source, at)])

    def merge(self, portal_id: int, primary_id: int, merged_id: int, source: Source) -> Contact:
        """Fill the primary's empty properties from the other, then archive the other."""
        with self.lock:
            primary = self.live_contact(portal_id, primary_id)
            merged = self.live_contact(portal_id, merged_id)
            moved = {
                name: value
                for name, value in merged.properties.items()
                if not primary.properties.get(name) and name not in ("hs_object_id", "email")
            }
            merged.archived = True
            merged.archived_at = now_iso()
            self.portals[portal_id].emails.pop(merged.properties.get("email", "").lower(), None)
            primary.properties.update(moved)
            primary.updated_at = now_iso()
            primary.properties["lastmodifieddate"] = primary.updated_at
            extra = {
                "primaryObjectId": primary_id,
                "mergedObjectIds": [merged_id],
                "newObjectId": primary_id,
                "numberOfPropertiesMoved": len(moved),
            }
            self._emit([Change("merge", portal_id, primary_id, source, now_ms(), extra=extra)])
            return primary

    def page(
        self, portal_id: int, after: int, limit: int, archived: bool
    ) -> tuple[list[Contact], int | None]:
        """Up to `limit` contacts with id >= `after`, and the id that starts the next page."""
        with self.lock:
            portal = self.portals[portal_id]
            found: list[Contact] = []
            for position in range(bisect.bisect_left(portal.ids, after), len(portal.ids)):
                contact = portal.contacts[portal.ids[position]]
                if contact.archived != archived:
                    continue
                if len(found) == limit:
                    return found, contact.id
                found.append(contact)
            return found, None

    def live_contacts(self, portal_id: int) -> list[Contact]:
        with self.lock:
            contacts = self.portals[portal_id].contacts.values()
            return [contact for contact in contacts if not contact.archived]

    def _emit(self, changes: list[Change]) -> None:
        if not changes:
            return
        for listener in self.listeners:
            listener(changes)
