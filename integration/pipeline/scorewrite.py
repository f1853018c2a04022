"""Read contacts, score them, and write back only what changed.

"Changed" is judged against the values the CRM holds now (read in the same batch
call as the contact), so a retry after a write that landed writes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.base import Contact, ScoreUpdate
from integration.pipeline.runtime import Runtime
from integration.scoring.scorer import ContactScore

REASON_SEPARATOR = "; "


@dataclass
class ContactOutcome:
    score: ContactScore
    properties: dict[str, str]
    content_hash: str


@dataclass
class ScoreWriteResult:
    scored: dict[str, ContactOutcome] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # no longer in the CRM
    failed: dict[str, tuple[bool, str]] = field(default_factory=dict)


def score_values(score: ContactScore, now: datetime) -> dict[str, str]:
    """One score as string values by role (connectors.base.SCORE_ROLES)."""
    return {
        "score": str(score.score),
        "tier": score.tier,
        "next_action": score.action,
        "reasons": REASON_SEPARATOR.join(score.reasons),
        "model_version": score.model_version,
        "scored_at": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }


# Roles whose change is worth a write; the time of scoring alone is not.
COMPARED = ("score", "tier", "next_action", "reasons", "model_version")


def content_hash(values: dict[str, str]) -> str:
    compared = {role: values[role] for role in COMPARED}
    return hashlib.sha256(json.dumps(compared, sort_keys=True).encode()).hexdigest()


def same_as_crm(current: dict, values: dict[str, str], name_of) -> bool:
    """True when the CRM record already shows these values."""
    for role in COMPARED:
        have, want = current.get(name_of(role)), values[role]
        if role == "score":
            if not _same_number(have, want):
                return False
        elif (have or "") != want:
            return False
    return True


def _same_number(have, want: str) -> bool:
    try:
        return have is not None and float(have) == float(want)
    except ValueError:
        return False


def score_and_write(runtime: Runtime, contact_ids: list[str]) -> ScoreWriteResult:
    """Batch-read the contacts, then score and write them back."""
    if not contact_ids:
        return ScoreWriteResult()
    contacts = runtime.client.read_contacts(contact_ids, runtime.properties_to_read())
    found = [contacts[cid] for cid in contact_ids if cid in contacts]
    result = score_and_write_contacts(runtime, found)
    result.gone = [cid for cid in contact_ids if cid not in contacts]
    return result


def score_and_write_contacts(runtime: Runtime, found: list[Contact]) -> ScoreWriteResult:
    """Score contacts already read (with our fields), and write those that changed."""
    result = ScoreWriteResult()
    if not found:
        return result
    scores = runtime.scorer.score([dict(contact.properties) for contact in found])
    now = datetime.now(UTC)
    name_of = runtime.connector.score_field_name
    updates = []
    for contact, score in zip(found, scores, strict=True):
        values = score_values(score, now)
        properties = {name_of(role): value for role, value in values.items()}
        result.scored[contact.id] = ContactOutcome(score, properties, content_hash(values))
        if same_as_crm(contact.properties, values, name_of):
            result.unchanged.append(contact.id)
        else:
            updates.append(ScoreUpdate(contact.id, properties))
    if updates:
        written = runtime.client.write_scores(updates)
        result.written, result.failed = written.written, written.failed
    return result
