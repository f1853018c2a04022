"""What a positive outcome is: a property and the values that count as yes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from integration.scoring.errors import BadSettings, EmptyData, SingleClass, UnknownColumn
from integration.scoring.features import missing_mask, text_values

GOALS = ("conversion", "churn")


@dataclass(frozen=True)
class LabelDefinition:
    """`property` holds the outcome; a row is positive when its value is in `positive`.

    Rows whose value is missing are unlabeled and left out of training. `goal` picks
    the default next-best-action rules (selling to a likely buyer or keeping a
    customer at risk).
    """

    property: str
    positive: tuple[str, ...]
    goal: str = "conversion"
    name: str = field(default="")

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise BadSettings(f"label goal must be one of {GOALS}, got {self.goal!r}")
        if not self.positive:
            raise BadSettings("a label needs at least one positive value")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LabelDefinition:
        try:
            positive = data["positive"]
            if isinstance(positive, str):
                positive = [positive]
            return cls(
                property=str(data["property"]),
                positive=tuple(str(value) for value in positive),
                goal=str(data.get("goal", "conversion")),
                name=str(data.get("name", "")),
            )
        except KeyError as exc:
            raise BadSettings(f"label definition lacks {exc.args[0]!r}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "positive": list(self.positive),
            "goal": self.goal,
            "name": self.name,
        }


# HubSpot's lifecycle stage reaches "customer" when a lead converts.
LEAD_CONVERSION = LabelDefinition(
    property="lifecyclestage", positive=("customer",), goal="conversion", name="lead conversion"
)
# No standard HubSpot churn property exists; installations map theirs onto this name.
CHURN = LabelDefinition(
    property="churned", positive=("true", "yes", "1"), goal="churn", name="churn"
)
DEFAULT_LABELS = {"lead_conversion": LEAD_CONVERSION, "churn": CHURN}


def make_labels(frame: pd.DataFrame, label: LabelDefinition) -> tuple[np.ndarray, np.ndarray]:
    """Return (y, labeled) where `labeled` marks rows with a known outcome.

    Raises a named error when the label cannot train anything: no such column, no
    labeled rows, or only one class among them.
    """
    if frame.empty:
        raise EmptyData("the table has no rows")
    if label.property not in frame.columns:
        raise UnknownColumn(f"target column {label.property!r} is not in the data")
    column = frame[label.property]
    labeled = ~missing_mask(column)
    if not labeled.any():
        raise EmptyData(f"target column {label.property!r} has no values")
    positive = {value.strip().lower() for value in label.positive}
    y = text_values(column).str.lower().isin(positive).to_numpy() & labeled
    n_positive = int(y.sum())
    if n_positive == 0 or n_positive == int(labeled.sum()):
        only = "positive" if n_positive else "negative"
        raise SingleClass(
            f"every labeled row is {only} for {label.property!r} in {list(label.positive)}; "
            "a model needs both outcomes"
        )
    return y.astype(np.int8), labeled
