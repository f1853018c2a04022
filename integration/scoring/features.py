"""From CRM properties to model features.

CRMs hand properties back as strings ("42", "true", "2024-05-01T10:00:00Z", ""), so
typing is inferred from the text, never from a pandas dtype, and the same code path
serves training tables and the rows scored later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from integration.scoring.errors import BadSettings

NUMERIC = "numeric"
CATEGORICAL = "categorical"
BOOLEAN = "boolean"
DATE = "date"
TEXT = "text"
IGNORE = "ignore"
KINDS = (NUMERIC, CATEGORICAL, BOOLEAN, DATE, TEXT, IGNORE)

MISSING_TOKENS = frozenset({"", "unknown", "null", "nan", "n/a", "<na>"})
TRUE_TOKENS = frozenset({"true", "yes", "y", "t", "1"})
FALSE_TOKENS = frozenset({"false", "no", "n", "f", "0"})

# A column is numeric or a date when this share of its filled values parses as one.
PARSE_SHARE = 0.95
# More distinct text values than this (and mostly unique) looks like names, emails, ids.
MAX_CATEGORIES = 60
MIN_CATEGORY_COUNT = 5
ID_UNIQUE_SHARE = 0.9
MIN_ROWS_FOR_ID_CHECK = 50
MEMO_LIMIT = 10_000


@dataclass
class FeatureSpec:
    """How one property becomes one model column."""

    name: str
    kind: str
    categories: list[str] = field(default_factory=list)
    missing_values: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "categories": list(self.categories),
            "missing_values": list(self.missing_values),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            categories=[str(v) for v in data.get("categories", [])],
            missing_values=[str(v) for v in data.get("missing_values", [])],
        )


@dataclass
class Typing:
    """The outcome of feature typing: what is used and what was left out, with why."""

    specs: list[FeatureSpec]
    excluded: dict[str, str]


def text_values(series: pd.Series) -> pd.Series:
    """The column as stripped strings (pandas' nullable string dtype)."""
    return series.astype("string").str.strip()


def missing_mask(series: pd.Series, extra: Iterable[str] = ()) -> np.ndarray:
    return _missing(text_values(series), extra)


def _missing(text: pd.Series, extra: Iterable[str]) -> np.ndarray:
    tokens = MISSING_TOKENS | {value.strip().lower() for value in extra}
    missing = text.isna() | text.str.lower().isin(tokens)
    return missing.to_numpy(dtype=bool, na_value=True)


def clean(series: pd.Series, extra: Iterable[str] = ()) -> pd.Series:
    """Stripped strings with every spelling of "missing" turned into <NA>."""
    text = text_values(series)
    return text.mask(_missing(text, extra))


def infer_types(
    frame: pd.DataFrame,
    *,
    overrides: Mapping[str, str] | None = None,
    missing_values: Mapping[str, Iterable[str]] | None = None,
    exclude: Iterable[str] = (),
) -> Typing:
    """Type every column of `frame` except `exclude`; `overrides` win over inference."""
    overrides = dict(overrides or {})
    missing_values = {key: list(values) for key, values in (missing_values or {}).items()}
    for name, kind in overrides.items():
        if kind not in KINDS:
            raise BadSettings(f"feature type for {name!r} must be one of {KINDS}, got {kind!r}")
    specs: list[FeatureSpec] = []
    excluded: dict[str, str] = {}
    skip = set(exclude)
    for name in frame.columns:
        if name in skip:
            continue
        extra = missing_values.get(name, [])
        values = clean(frame[name], extra).dropna()
        kind, why = overrides.get(name), "set in configuration"
        if kind is None:
            kind, why = _infer_kind(name, values, len(frame))
        if kind in (TEXT, IGNORE):
            excluded[name] = why
            continue
        if values.empty:
            excluded[name] = "no values"
            continue
        if values.nunique() < 2:
            excluded[name] = "the same value in every row"
            continue
        spec = FeatureSpec(name=name, kind=kind, missing_values=extra)
        if kind == CATEGORICAL:
            spec.categories = _frequent_categories(values)
        specs.append(spec)
    return Typing(specs=specs, excluded=excluded)


def _infer_kind(name: str, values: pd.Series, n_rows: int) -> tuple[str, str]:
    if values.empty:
        return IGNORE, "no values"
    vocabulary = set(values.str.lower().unique())
    # Two spellings of yes and no; one of each, so "yes"/"y" is not a boolean.
    if len(vocabulary) == 2 and vocabulary & TRUE_TOKENS and vocabulary & FALSE_TOKENS:
        return BOOLEAN, "inferred"
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().mean() >= PARSE_SHARE:
        if _looks_like_id(numbers, n_rows):
            return IGNORE, "looks like an identifier (a different whole number in every row)"
        return NUMERIC, "inferred"
    if _parses_as_dates(values):
        return DATE, "inferred"
    unique_share = values.nunique() / max(len(values), 1)
    if values.nunique() > MAX_CATEGORIES and unique_share > ID_UNIQUE_SHARE / 3:
        return TEXT, "free text or identifier (too many distinct values); map it to use it"
    return CATEGORICAL, "inferred"


def _looks_like_id(numbers: pd.Series, n_rows: int) -> bool:
    numbers = numbers.dropna()
    if n_rows < MIN_ROWS_FOR_ID_CHECK or numbers.empty:
        return False
    whole = bool((numbers == numbers.round()).all())
    return whole and numbers.nunique() / len(numbers) >= ID_UNIQUE_SHARE


def _parses_as_dates(values: pd.Series) -> bool:
    sample = values.head(500)
    # Dates have separators; this keeps codes like "A12" from parsing as dates.
    if not sample.str.contains(r"^\d{4}-\d{2}-\d{2}", regex=True).mean() >= PARSE_SHARE:
        return False
    parsed = parse_dates(sample)
    return bool(parsed.notna().mean() >= PARSE_SHARE)


def parse_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")


def _frequent_categories(values: pd.Series) -> list[str]:
    counts = values.value_counts()
    # Rare values are pooled into "other" so that one-off spellings do not become
    # features the model memorises.
    kept = counts[counts >= min(MIN_CATEGORY_COUNT, int(counts.max()))]
    return sorted(str(value) for value in kept.index[:MAX_CATEGORIES])


class FeatureEncoder:
    """Turns a table of properties into the float matrix the model reads.

    Categorical values become codes (their index in `categories`, unseen values the
    code after the last), booleans 0/1, dates their age in days; missing is NaN.
    """

    def __init__(self, specs: list[FeatureSpec]) -> None:
        self.specs = specs
        self.names = [spec.name for spec in specs]
        self.categorical_mask = np.array([spec.kind == CATEGORICAL for spec in specs], dtype=bool)
        # Raw value -> encoded value per column. Cleaning and parsing strings costs
        # more than the model, and CRM columns repeat a few values row after row and
        # batch after batch, so each distinct raw value is encoded once.
        self._memo: list[dict[Any, float]] = [{} for _ in specs]

    def encode(self, frame: pd.DataFrame, now: datetime | None = None) -> np.ndarray:
        now = now or datetime.now(UTC)
        matrix = np.full((len(frame), len(self.specs)), np.nan, dtype=np.float64)
        for index, spec in enumerate(self.specs):
            if spec.name not in frame.columns:
                continue
            if spec.kind == DATE:
                matrix[:, index] = _encode_dates(spec, frame[spec.name], now)
            else:
                matrix[:, index] = self._encode_by_value(index, frame[spec.name])
        # "inf" parses as a number, but no model accepts it: treat it as missing.
        matrix[np.isinf(matrix)] = np.nan
        return matrix

    def _encode_by_value(self, index: int, column: pd.Series) -> np.ndarray:
        codes, distinct = pd.factorize(column, use_na_sentinel=True)
        if len(distinct) > MEMO_LIMIT:
            # Mostly unique numbers (amounts, say): remembering them would not pay.
            values = _encode_distinct(self.specs[index], pd.Series(distinct, dtype=object))
            return np.append(values, np.nan)[codes]
        memo = self._memo[index]
        new = [value for value in distinct if value not in memo]
        if new:
            if len(memo) > MEMO_LIMIT:
                memo.clear()
            encoded = _encode_distinct(self.specs[index], pd.Series(new, dtype=object))
            memo.update(zip(new, encoded.tolist(), strict=True))
        # Code -1 (missing) picks the NaN appended last.
        table = np.array([memo[value] for value in distinct] + [np.nan], dtype=np.float64)
        return table[codes]

    def display_values(self, index: int, codes: np.ndarray) -> list[str]:
        """Human-readable values of column `index` for the given encoded values."""
        spec = self.specs[index]
        if spec.kind == CATEGORICAL:
            labels = [*spec.categories, "other"]
            return [labels[int(code)] for code in codes]
        if spec.kind == BOOLEAN:
            return ["yes" if code else "no" for code in codes]
        return [format_number(code) for code in codes]


def _encode_dates(spec: FeatureSpec, column: pd.Series, now: datetime) -> np.ndarray:
    parsed = parse_dates(clean(column, spec.missing_values))
    age = (pd.Timestamp(now) - parsed).dt.total_seconds() / 86400.0
    return age.to_numpy(dtype=np.float64, na_value=np.nan)


def _encode_distinct(spec: FeatureSpec, distinct: pd.Series) -> np.ndarray:
    """Encoded values for raw values of a numeric, boolean or categorical column."""
    if spec.kind == NUMERIC:
        return _encode_numeric(spec, distinct)
    values = clean(distinct, spec.missing_values)
    present = values.notna().to_numpy()
    if spec.kind == BOOLEAN:
        lowered = values.str.lower()
        out = np.full(len(values), np.nan)
        out[lowered.isin(TRUE_TOKENS).to_numpy(dtype=bool, na_value=False)] = 1.0
        out[lowered.isin(FALSE_TOKENS).to_numpy(dtype=bool, na_value=False)] = 0.0
        return out
    codes = pd.Index(spec.categories).get_indexer(values.astype(object)).astype(np.float64)
    codes[(codes < 0) & present] = len(spec.categories)  # unseen values: "other"
    codes[~present] = np.nan
    return codes


def _encode_numeric(spec: FeatureSpec, column: pd.Series) -> np.ndarray:
    try:
        # numpy's own parser is about twice as fast as pandas' on clean numbers.
        out = np.array(column.to_numpy(dtype=object), dtype=np.float64)
    except (TypeError, ValueError):
        numbers = pd.to_numeric(column, errors="coerce")
        out = np.array(numbers.to_numpy(dtype=np.float64, na_value=np.nan))  # writable copy
    failed = np.isnan(out) & column.notna().to_numpy()
    if failed.any():
        # Padded or oddly written numbers; "unknown" and friends stay NaN.
        retry = pd.to_numeric(clean(column[failed]), errors="coerce")
        out[failed] = retry.to_numpy(dtype=np.float64, na_value=np.nan)
    for token in spec.missing_values:
        try:
            out[out == float(token)] = np.nan
        except ValueError:
            continue
    return out


def format_number(value: float) -> str:
    if np.isnan(value):
        return "unknown"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.1f}"
