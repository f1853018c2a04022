"""Next best action: the first configured rule that matches a contact wins.

A rule is a mapping such as
    {"action": "Call within a day", "tiers": ["A"], "min_score": 50,
     "property": "lifecyclestage", "values": ["lead", "mql"]}
where every condition given must hold; a rule with no conditions always matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from integration.scoring.errors import BadSettings
from integration.scoring.features import clean

CALL = "Call within a day"
OFFER = "Send a personalised offer"
NURTURE = "Nurture by email"
RETENTION_CALL = "Retention call: churn risk"
NO_ACTION = "No action needed"

DEFAULT_RULES: dict[str, list[dict[str, Any]]] = {
    "conversion": [
        {"action": CALL, "tiers": ["A"]},
        {"action": OFFER, "tiers": ["B"]},
        {"action": NURTURE},
    ],
    "churn": [
        {"action": RETENTION_CALL, "tiers": ["A"]},
        {"action": OFFER, "tiers": ["B"]},
        {"action": NURTURE, "tiers": ["C"]},
        {"action": NO_ACTION},
    ],
}
CONDITIONS = {"action", "tiers", "min_score", "max_score", "property", "values"}


def rules_for(goal: str, configured: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    rules = configured if configured is not None else DEFAULT_RULES.get(goal, [])
    for rule in rules:
        if not isinstance(rule, Mapping) or "action" not in rule:
            raise BadSettings(f"an action rule needs an 'action': {rule!r}")
        unknown = set(rule) - CONDITIONS
        if unknown:
            raise BadSettings(f"unknown keys in action rule: {sorted(unknown)}")
    return rules


def choose_actions(
    rules: list[dict[str, Any]],
    tiers: np.ndarray,
    scores: np.ndarray,
    frame: pd.DataFrame,
) -> np.ndarray:
    """One action per contact, decided with whole-column masks (no per-row loop)."""
    actions = np.full(len(tiers), NO_ACTION, dtype=object)
    undecided = np.ones(len(tiers), dtype=bool)
    for rule in rules:
        match = undecided & _matches(rule, tiers, scores, frame)
        actions[match] = str(rule["action"])
        undecided &= ~match
        if not undecided.any():
            break
    return actions


def _matches(rule, tiers, scores, frame) -> np.ndarray:
    match = np.ones(len(tiers), dtype=bool)
    if "tiers" in rule:
        match &= np.isin(tiers, [str(t) for t in rule["tiers"]])
    if "min_score" in rule:
        match &= scores >= float(rule["min_score"])
    if "max_score" in rule:
        match &= scores <= float(rule["max_score"])
    if "property" in rule:
        name = str(rule["property"])
        if name not in frame.columns:
            return np.zeros(len(tiers), dtype=bool)
        wanted = {str(v).lower() for v in rule.get("values", [])}
        values = clean(frame[name]).str.lower()
        present = values.notna().to_numpy()
        match &= values.isin(wanted).to_numpy(dtype=bool, na_value=False) if wanted else present
    return match
