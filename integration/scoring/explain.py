"""Reasons in plain words, cheap enough to give for every contact.

At training time each feature gets a table: the value range is cut into bins, and
for each bin we record how far the model's average log-odds move when a background
sample of contacts is given a value from that bin (a partial dependence, centred
on the training mix). Scoring then only looks up one table cell per feature and
contact, instead of calling the model again per feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from integration.scoring.features import CATEGORICAL, FeatureEncoder

NUMERIC_BINS = 10
BACKGROUND_ROWS = 200
TOP_REASONS = 3
# Contributions smaller than this (in log-odds) are too weak to call a reason.
MIN_EFFECT = 0.05
EPS = 1e-6


def build_tables(
    estimator: Any, X: np.ndarray, encoder: FeatureEncoder, seed: int = 0
) -> list[dict[str, Any]]:
    """One table per feature: bin edges (numeric), and contributions per bin with the
    missing-value bin last."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), min(BACKGROUND_ROWS, len(X)), replace=False)
    background = X[rows]
    tables = []
    for index, spec in enumerate(encoder.specs):
        column = X[:, index]
        if spec.kind == CATEGORICAL:
            edges = np.array([])
            values = np.arange(len(spec.categories) + 1, dtype=float)
        else:
            edges, values = _numeric_bins(column)
        values = np.append(values, np.nan)
        effect = _partial_dependence(estimator, background, index, values)
        weights = np.bincount(
            lookup_bins(column, edges, spec.kind == CATEGORICAL, len(values)),
            minlength=len(values),
        )
        centred = effect - np.average(effect, weights=weights)
        tables.append({"edges": edges.tolist(), "effect": centred.tolist()})
    return tables


def _numeric_bins(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = column[~np.isnan(column)]
    if finite.size == 0:
        return np.array([]), np.array([])
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]))
    bins = np.searchsorted(edges, finite, side="right")
    # Each bin is represented by its median training value.
    values = np.array([_median(finite[bins == b]) for b in range(len(edges) + 1)], dtype=np.float64)
    return edges, values


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else float("nan")


def _partial_dependence(estimator, background, index, values) -> np.ndarray:
    n = len(background)
    stacked = np.tile(background, (len(values), 1))
    stacked[:, index] = np.repeat(values, n)
    proba = np.clip(estimator.predict_proba(stacked)[:, 1], EPS, 1 - EPS)
    logit = np.log(proba / (1 - proba))
    return logit.reshape(len(values), n).mean(axis=1)


def lookup_bins(column: np.ndarray, edges, categorical: bool, n_bins: int) -> np.ndarray:
    missing = np.isnan(column)
    if categorical:
        bins = np.where(missing, 0, column).astype(np.int64)
    else:
        bins = np.searchsorted(np.asarray(edges, dtype=float), column, side="right")
    bins = np.minimum(bins, n_bins - 2)
    bins[missing] = n_bins - 1
    return bins


def contributions(X: np.ndarray, tables: list[dict[str, Any]], encoder: FeatureEncoder):
    """(rows, features) matrix of each feature's push on each contact's log-odds."""
    out = np.empty(X.shape, dtype=np.float64)
    for index, table in enumerate(tables):
        effect = np.asarray(table["effect"], dtype=float)
        categorical = bool(encoder.categorical_mask[index])
        out[:, index] = effect[lookup_bins(X[:, index], table["edges"], categorical, len(effect))]
    return out


def top_reasons(contrib: np.ndarray, upward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the strongest features pushing each contact's score the way it went
    (up for contacts above the base rate, down for the others), and a mask of the
    ones strong enough to mention."""
    signed = contrib * np.where(upward, 1.0, -1.0)[:, None]
    k = min(TOP_REASONS, contrib.shape[1])
    top = np.argpartition(-signed, k - 1, axis=1)[:, :k]
    strength = np.take_along_axis(signed, top, axis=1)
    order = np.argsort(-strength, axis=1)
    top = np.take_along_axis(top, order, axis=1)
    strength = np.take_along_axis(strength, order, axis=1)
    return top, strength >= MIN_EFFECT


# Plain words for common HubSpot contact properties; an installation's own
# templates are laid over these. Date properties arrive as an age in days.
DEFAULT_TEMPLATES: dict[str, Any] = {
    "hs_email_open": "opened {value} marketing emails",
    "hs_email_click": "clicked {value} marketing emails",
    "hs_email_bounce": "{value} emails bounced",
    "num_conversion_events": "filled in {value} forms",
    "hs_analytics_num_page_views": "viewed {value} pages on the website",
    "hs_analytics_num_visits": "visited the website {value} times",
    "hs_analytics_last_visit_timestamp": "last visited the website {value} days ago",
    "hs_analytics_source": "came from {value}",
    "num_contacted_notes": "contacted {value} times",
    "notes_last_contacted": "last contacted {value} days ago",
    "createdate": "in the CRM for {value} days",
    "lifecyclestage": "lifecycle stage is {value}",
    "hs_lead_status": "lead status is {value}",
    "jobtitle": "job title: {value}",
    "industry": "works in {value}",
    "numemployees": "company has {value} employees",
    "country": "based in {value}",
}


class ReasonWriter:
    """Turns (feature, value) into a sentence, with a cache since values repeat."""

    def __init__(self, encoder: FeatureEncoder, templates: Mapping[str, Any]) -> None:
        self.encoder = encoder
        self.templates = {**DEFAULT_TEMPLATES, **templates}
        self.cache: dict[tuple[int, float], str] = {}

    def write(self, X: np.ndarray, top: np.ndarray, keep: np.ndarray) -> list[list[str]]:
        """Reason lists per row. Sentences are made once per distinct (feature, value)
        and spread with array indexing, so 100k rows cost a few hundred sentences."""
        texts = np.full(top.shape, None, dtype=object)
        for index in np.unique(top[keep]):
            rows, slots = np.nonzero((top == index) & keep)
            distinct, inverse = np.unique(X[rows, index], return_inverse=True)
            sentences = np.empty(len(distinct), dtype=object)
            sentences[:] = [self._cached(int(index), float(value)) for value in distinct]
            texts[rows, slots] = sentences[inverse.ravel()]
        lists = texts.tolist()
        # Most rows keep all their reasons; only the others need filtering.
        for row in np.flatnonzero(~keep.all(axis=1)):
            lists[row] = [text for text in lists[row] if text is not None]
        return lists

    def _cached(self, index: int, value: float) -> str:
        key = (index, -0.0 if np.isnan(value) else value)
        text = self.cache.get(key)
        if text is None:
            if len(self.cache) > 100_000:
                self.cache.clear()
            text = self.cache[key] = self.sentence(index, value)
        return text

    def sentence(self, index: int, value: float) -> str:
        spec = self.encoder.specs[index]
        missing = bool(np.isnan(value))
        shown = "unknown" if missing else self.encoder.display_values(index, np.array([value]))[0]
        return render(spec.name, shown, missing, self.templates.get(spec.name))


def render(name: str, shown: str, missing: bool, template: Any) -> str:
    """A template is a string with `{value}`, or a mapping with `text`, per-value
    `values` and a `missing` sentence; with none the sentence is "<name> is <value>"."""
    if isinstance(template, str):
        template = {"text": template}
    template = template or {}
    if missing and "missing" in template:
        return str(template["missing"])
    by_value = template.get("values") or {}
    if shown in by_value:
        return str(by_value[shown])
    label = template.get("label", name)
    text = template.get("text") if not missing else None
    if not text:
        return f"{label} is {shown}"
    try:
        return str(text).format(value=shown, label=label)
    except (KeyError, IndexError, ValueError):
        return f"{label} is {shown}"
