"""Simulated users editing contacts, so webhooks flow without anyone clicking.

For the bank data the edits are the ones a call centre would make: another
call in the campaign, the outcome of an earlier campaign, a new job, a
changed loan, now and then a lead that became a customer. For other data a
random enumeration gets another option or a number goes up by one.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from sandbox.hubspot.properties import PropertyDef
from sandbox.hubspot.store import Contact, Source, Store, StoreError

SIMULATED_USER = Source("CRM_UI", "userId:7001")
CONVERSION_SHARE = 0.03


@dataclass
class Run:
    rate: float
    duration_s: float | None
    portal_ids: list[int]
    started: float
    count: int | None = None
    properties_per_change: int | None = None
    changes: int = 0
    properties_changed: int = 0
    running: bool = True

    def to_api(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "durationSeconds": self.duration_s,
            "count": self.count,
            "propertiesPerChange": self.properties_per_change,
            "portalIds": self.portal_ids,
            "contactsChanged": self.changes,
            "propertiesChanged": self.properties_changed,
            "running": self.running,
            "elapsedSeconds": round(time.time() - self.started, 3),
        }


def other_option(prop: PropertyDef, current: str | None, rng: random.Random) -> str | None:
    choices = [option["value"] for option in prop.options if option["value"] != current]
    return rng.choice(choices) if choices else None


def bump(value: str | None) -> str:
    try:
        return str(int(float(value or "0")) + 1)
    except ValueError:
        return "1"


def bank_edit(
    contact: Contact, props: dict[str, PropertyDef], rng: random.Random
) -> dict[str, str]:
    """One plausible call-centre edit of a bank marketing contact."""
    values = contact.properties
    roll = rng.random()
    if roll < CONVERSION_SHARE and values.get("lifecyclestage") == "lead":
        return {"lifecyclestage": "customer"}
    if roll < 0.55:
        return {"campaign": bump(values.get("campaign"))}
    if roll < 0.75:
        outcome = rng.choice(["failure", "success"])
        return {
            "previous": bump(values.get("previous")),
            "poutcome": outcome,
            "pdays": str(rng.randint(1, 27)),
        }
    name = rng.choice(["job", "marital", "education", "housing", "loan", "contact"])
    new = other_option(props[name], values.get(name), rng)
    return {name: new} if new else {}


def generic_edit(
    contact: Contact, props: dict[str, PropertyDef], rng: random.Random
) -> dict[str, str]:
    editable = [
        prop
        for prop in props.values()
        if not prop.hubspot_defined and prop.type in ("enumeration", "number")
    ]
    if not editable:
        return {}
    prop = rng.choice(editable)
    if prop.type == "number":
        return {prop.name: bump(contact.properties.get(prop.name))}
    new = other_option(prop, contact.properties.get(prop.name), rng)
    return {prop.name: new} if new else {}


BANK_PROPERTIES = {
    "campaign",
    "previous",
    "poutcome",
    "pdays",
    "job",
    "marital",
    "education",
    "housing",
    "loan",
    "contact",
}


class Simulator:
    def __init__(self, store: Store, rng: random.Random) -> None:
        self.store = store
        self.rng = rng
        self.lock = threading.Lock()
        self.run: Run | None = None
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(
        self,
        rate: float,
        duration_s: float | None,
        portal_ids: list[int],
        *,
        count: int | None = None,
        properties_per_change: int | None = None,
    ) -> Run:
        """Change `rate` contacts per second in the background, for `duration_s` seconds
        or until `count` distinct contacts changed, whichever comes first.

        `properties_per_change` fixes how many properties each edit changes (benchmarks
        count API calls per changed contact); by default an edit changes one to three.
        """
        if rate <= 0 or (duration_s is not None and duration_s <= 0):
            raise ValueError("rate and duration must be positive")
        if duration_s is None and not count:
            raise ValueError("give a duration, a count, or both")
        if properties_per_change is not None and not 1 <= properties_per_change <= 8:
            raise ValueError("properties_per_change must be between 1 and 8")
        self.stop()
        run = Run(rate, duration_s, portal_ids, time.time(), count, properties_per_change)
        with self.lock:
            self.run = run
            self.stop_event = threading.Event()
            self.thread = threading.Thread(
                target=self._loop, args=(run, self.stop_event), name="sandbox-simulate", daemon=True
            )
            self.thread.start()
        return run

    def stop(self) -> None:
        with self.lock:
            thread, event = self.thread, self.stop_event
        event.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def status(self) -> dict[str, Any] | None:
        with self.lock:
            return self.run.to_api() if self.run else None

    def wait(self, timeout: float) -> bool:
        with self.lock:
            thread = self.thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _targets(self, run: Run) -> list[tuple[int, int]]:
        """(portal, contact) pairs to edit, in order; distinct when a count is asked."""
        with self.store.lock:
            pairs = [
                (portal_id, contact_id)
                for portal_id in run.portal_ids
                for contact_id, contact in self.store.portal(portal_id).contacts.items()
                if not contact.archived
            ]
        if run.count:
            return self.rng.sample(pairs, min(run.count, len(pairs)))
        return pairs

    def _loop(self, run: Run, stop: threading.Event) -> None:
        targets = self._targets(run)
        interval = 1.0 / run.rate
        next_at = time.monotonic()
        deadline = next_at + run.duration_s if run.duration_s else float("inf")
        position = 0
        while targets and not stop.is_set() and next_at < deadline:
            if run.count:
                if position >= len(targets):
                    break
                portal_id, contact_id = targets[position]
                position += 1
            else:
                portal_id, contact_id = self.rng.choice(targets)
            changed = self.edit_one(portal_id, contact_id, run.properties_per_change)
            if changed:
                run.changes += 1
                run.properties_changed += changed
            next_at += interval
            stop.wait(max(next_at - time.monotonic(), 0))
        run.running = False

    def edit_one(self, portal_id: int, contact_id: int, size: int | None = None) -> int:
        """Apply one edit to a live contact; returns how many properties changed."""
        with self.store.lock:
            contact = self.store.portal(portal_id).contacts.get(contact_id)
            if contact is None or contact.archived:
                return 0
            props = self.store.portal(portal_id).properties
            edit = bank_edit if set(props) >= BANK_PROPERTIES else generic_edit
            values: dict[str, str] = {}
            # One edit by default; with a size, further edits until that many differ.
            for _ in range(50):
                values.update(
                    {
                        name: value
                        for name, value in edit(contact, props, self.rng).items()
                        if name not in values and contact.properties.get(name, "") != value
                    }
                )
                if size is None or len(values) >= size:
                    break
            if size is not None:
                values = dict(list(values.items())[:size])
            try:
                cleaned = self.store.clean(portal_id, values)
            except StoreError:
                return 0
            return len(self.store.apply(portal_id, contact, cleaned, SIMULATED_USER))
