"""Reading contact tables from CSV files the way a CRM export arrives."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from integration.scoring.errors import EmptyData, ScoringError

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


def read_csv(path: str | Path) -> pd.DataFrame:
    """Every value as a string (as a CRM returns them), the delimiter sniffed."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ScoringError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{str(path)!r} is not UTF-8 text") from exc
    if not sample.strip():
        raise EmptyData(f"{str(path)!r} is empty")
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","  # one column, or too irregular to tell: the common case
    try:
        frame = pd.read_csv(
            path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ScoringError(f"cannot parse {str(path)!r} as CSV: {exc}") from exc
    if frame.empty:
        raise EmptyData(f"{str(path)!r} has a header but no rows")
    return frame
