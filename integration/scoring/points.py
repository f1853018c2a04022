"""The cold-start points model, used until an installation has enough labeled history.

Like marketing-automation lead scoring: each rule adds (or takes away) points when a
contact shows engagement, recent activity or fit. The total, capped to 0-100, is the
score. Its "probability" is the score over 100 and is not calibrated, which is why
every score it gives is marked rule-based.

A rule: {"property": "hs_email_click", "op": ">=", "value": 1, "points": 15,
         "group": "engagement", "reason": "clicked a marketing email"}
Operators: ">=", "<=", ">", "<", "==", "in" (a list), "present", "within_days"
(a date property no older than `value` days).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from integration.scoring.errors import BadSettings
from integration.scoring.features import clean, parse_dates

OPERATORS = (">=", "<=", ">", "<", "==", "in", "present", "within_days")
GROUPS = ("engagement", "recency", "fit")
# Lowest score of A, B, C when the admin has not set cut-offs for the points model.
DEFAULT_TIER_CUTOFFS = (60.0, 35.0, 15.0)

# HubSpot contact properties; every installation can replace this list.
DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "property": "hs_email_open",
        "op": ">=",
        "value": 3,
        "points": 10,
        "group": "engagement",
        "reason": "opened {value} marketing emails",
    },
    {
        "property": "hs_email_click",
        "op": ">=",
        "value": 1,
        "points": 15,
        "group": "engagement",
        "reason": "clicked a marketing email",
    },
    {
        "property": "num_conversion_events",
        "op": ">=",
        "value": 1,
        "points": 20,
        "group": "engagement",
        "reason": "filled in {value} forms",
    },
    {
        "property": "hs_analytics_num_page_views",
        "op": ">=",
        "value": 5,
        "points": 10,
        "group": "engagement",
        "reason": "viewed {value} pages on the website",
    },
    {
        "property": "hs_analytics_last_visit_timestamp",
        "op": "within_days",
        "value": 7,
        "points": 15,
        "group": "recency",
        "reason": "visited the website in the last week",
    },
    {
        "property": "notes_last_contacted",
        "op": "within_days",
        "value": 30,
        "points": 10,
        "group": "recency",
        "reason": "was contacted in the last month",
    },
    {
        "property": "jobtitle",
        "op": "present",
        "points": 5,
        "group": "fit",
        "reason": "job title is known",
    },
    {
        "property": "phone",
        "op": "present",
        "points": 5,
        "group": "fit",
        "reason": "phone number is known",
    },
    {
        "property": "hs_email_bounce",
        "op": ">=",
        "value": 1,
        "points": -20,
        "group": "fit",
        "reason": "an email to this contact bounced",
    },
    {
        "property": "hs_email_optout",
        "op": "in",
        "value": ["true"],
        "points": -30,
        "group": "fit",
        "reason": "opted out of email",
    },
]


def validate_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for rule in rules:
        if not isinstance(rule, dict) or "property" not in rule or "points" not in rule:
            raise BadSettings(f"a points rule needs 'property' and 'points': {rule!r}")
        if rule.get("op", "present") not in OPERATORS:
            raise BadSettings(f"points rule operator must be one of {OPERATORS}: {rule!r}")
        if rule.get("group", "engagement") not in GROUPS:
            raise BadSettings(f"points rule group must be one of {GROUPS}: {rule!r}")
    return rules


def rules_version(rules: list[dict[str, Any]]) -> str:
    """A short fingerprint, so a score can be traced to the rules that gave it."""
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()
    return f"rules-{digest[:10]}"


def evaluate_rules(
    rules: list[dict[str, Any]], frame: pd.DataFrame, now: datetime | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(points per contact, fired[rows, rules]) for the whole table at once."""
    now = now or datetime.now(UTC)
    fired = np.zeros((len(frame), len(rules)), dtype=bool)
    for index, rule in enumerate(rules):
        if rule["property"] in frame.columns:
            fired[:, index] = _fires(rule, frame[rule["property"]], now)
    points = np.array([float(rule["points"]) for rule in rules])
    total = fired.astype(float) @ points if rules else np.zeros(len(frame))
    return total, fired


def _fires(rule: dict[str, Any], column: pd.Series, now: datetime) -> np.ndarray:
    op = rule.get("op", "present")
    values = clean(column)
    if op == "present":
        return values.notna().to_numpy()
    if op == "in":
        wanted = {str(v).lower() for v in rule.get("value", [])}
        return values.str.lower().isin(wanted).to_numpy(dtype=bool, na_value=False)
    if op == "within_days":
        age = (pd.Timestamp(now) - parse_dates(values)).dt.total_seconds() / 86400.0
        return (age <= float(rule["value"])).to_numpy(dtype=bool, na_value=False)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    threshold = float(rule["value"])
    compare = {
        ">=": np.greater_equal,
        "<=": np.less_equal,
        ">": np.greater,
        "<": np.less,
        "==": np.equal,
    }[op]
    with np.errstate(invalid="ignore"):
        return compare(numbers, threshold) & ~np.isnan(numbers)
