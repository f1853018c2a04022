"""What the inbox events of one batch mean for each contact.

Events arrive duplicated and out of order. Rules, applied per contact:
- echoes of our own writes and ignored kinds never cause work;
- a deletion wins over any change that happened before it; a restore after it
  brings the contact back;
- a privacy deletion purges everything we stored about the contact;
- a merge retires the merged contacts and rescoring goes to the survivor.
The CRM is re-read for every contact that needs a score, so an old property
change can never write old values back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from connectors import base


@dataclass
class ContactPlan:
    contact_id: str
    events: list[int] = field(default_factory=list)  # inbox row ids
    newest_at: int = 0
    deleted_at: int | None = None
    privacy_deleted: bool = False
    restored_at: int | None = None
    merged_into: str | None = None
    needs_score: bool = False

    @property
    def deleted(self) -> bool:
        if self.privacy_deleted:
            return True
        if self.deleted_at is None:
            return False
        return self.restored_at is None or self.restored_at < self.deleted_at


@dataclass
class BatchPlan:
    contacts: dict[str, ContactPlan] = field(default_factory=dict)
    ignored: list[int] = field(default_factory=list)  # echoes and other kinds

    def plan(self, contact_id: str) -> ContactPlan:
        if contact_id not in self.contacts:
            self.contacts[contact_id] = ContactPlan(contact_id)
        return self.contacts[contact_id]

    def to_score(self) -> list[str]:
        return [
            c.contact_id
            for c in self.contacts.values()
            if c.needs_score and not c.deleted and c.merged_into is None
        ]


def plan_batch(parsed: list[tuple[int, base.ContactEvent]]) -> BatchPlan:
    """Fold (inbox id, event) pairs, in any order, into one plan per contact."""
    batch = BatchPlan()
    by_contact: dict[str, list[tuple[int, base.ContactEvent]]] = defaultdict(list)
    for event_id, event in parsed:
        if event.kind == base.IGNORED or event.echo or not event.contact_id:
            batch.ignored.append(event_id)
            continue
        by_contact[event.contact_id].append((event_id, event))
    for contact_id, items in by_contact.items():
        _fold(batch, batch.plan(contact_id), items)
    return batch


def _fold(batch: BatchPlan, plan: ContactPlan, items) -> None:
    for event_id, event in sorted(items, key=lambda item: item[1].occurred_at):
        plan.events.append(event_id)
        plan.newest_at = max(plan.newest_at, event.occurred_at)
        if event.kind == base.DELETED:
            plan.deleted_at = max(plan.deleted_at or 0, event.occurred_at)
        elif event.kind == base.PRIVACY_DELETED:
            plan.privacy_deleted = True
        elif event.kind == base.RESTORED:
            plan.restored_at = event.occurred_at
            plan.needs_score = True
        elif event.kind == base.MERGED:
            plan.needs_score = True
            for merged_id in event.merged_ids:
                merged = batch.plan(merged_id)
                merged.merged_into = event.surviving_id
                merged.newest_at = max(merged.newest_at, event.occurred_at)
        else:  # created, property_changed
            plan.needs_score = True
