"""Seed portals with contacts from a CSV file and a column-to-property mapping.

The `bank` preset reads the UCI bank marketing file shipped in `sandbox/data/`:
column names become HubSpot property names, `y` becomes the lifecycle stage
(customer or lead), and each row gets invented name and e-mail fields plus
HubSpot's own timestamps, increasing in row order because the rows are in time
order.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from sandbox.hubspot.properties import PROPERTY_NAME, GroupDef, PropertyDef, iso, options_for
from sandbox.hubspot.store import SEED_SOURCE, Store

BANK_FILE = "bank-additional-full.csv.gz"
# An enumeration has at most this many distinct values; more and it is free text.
MAX_OPTIONS = 30

FIRST_NAMES = (
    "Ada",
    "Bruno",
    "Carla",
    "Dinis",
    "Eva",
    "Filipe",
    "Greta",
    "Hugo",
    "Ines",
    "Joao",
    "Lia",
    "Miguel",
    "Nadia",
    "Otto",
    "Paula",
    "Rui",
    "Sara",
    "Tiago",
    "Vera",
    "Zeca",
)
# Surnames no real person is likely to carry, so nobody mistakes the data for real.
LAST_NAMES = ("Sample", "Example", "Testcase", "Placeholder", "Demodata", "Sandboxer")


@dataclass
class Preset:
    name: str
    group: GroupDef
    start: datetime
    end: datetime
    label_column: str | None = None
    # label value -> lifecyclestage
    label_stages: dict[str, str] = field(default_factory=dict)


PRESETS = {
    "bank": Preset(
        "bank",
        GroupDef("bank_marketing", "Bank marketing", 10),
        datetime(2008, 5, 5, 9, 0, tzinfo=UTC),
        datetime(2010, 11, 30, 18, 0, tzinfo=UTC),
        label_column="y",
        label_stages={"yes": "customer", "no": "lead"},
    ),
    "plain": Preset(
        "plain",
        GroupDef("sandbox_seed", "Seeded data", 10),
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    ),
}


def property_name(column: str) -> str:
    """A valid HubSpot internal name: lower case, underscores, starting with a letter."""
    name = re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"p_{name}"
    return name


def default_seed_path() -> Path:
    return Path(str(resources.files("sandbox.data").joinpath(BANK_FILE)))


def read_rows(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows; `;` or `,` separated, plain or gzip-compressed."""
    path = Path(path)
    return _read_rows(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_rows(path: str, mtime_ns: int) -> tuple[list[str], list[list[str]]]:
    # Cached: tests and benchmarks start many sandboxes from the same file.
    raw = Path(path).read_bytes()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    return header, [row for row in reader if row]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def column_kinds(path: str | Path) -> list[tuple[str, list[str]]]:
    """(type, options) of each column, from every row of the file."""
    path = Path(path)
    return _column_kinds(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _column_kinds(path: str, mtime_ns: int) -> list[tuple[str, list[str]]]:
    header, rows = _read_rows(path, mtime_ns)
    kinds = []
    for index in range(len(header)):
        distinct = {row[index] for row in rows if index < len(row) and row[index] != ""}
        if distinct and all(is_number(value) for value in distinct):
            kinds.append(("number", []))
        elif 0 < len(distinct) <= MAX_OPTIONS:
            kinds.append(("enumeration", sorted(distinct)))
        else:
            kinds.append(("string", []))
    return kinds


def make_property(name: str, label: str, kind: str, options: list[str], group: str) -> PropertyDef:
    if kind == "number":
        return PropertyDef(name, label, "number", "number", group)
    if kind == "enumeration":
        return PropertyDef(
            name, label, "enumeration", "select", group, options=options_for(options)
        )
    return PropertyDef(name, label, "string", "text", group)


def fake_identity(contact_id: int) -> dict[str, str]:
    """Invented, stable per id, and obviously not a real person."""
    first = FIRST_NAMES[contact_id % len(FIRST_NAMES)]
    last = LAST_NAMES[(contact_id // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return {
        "firstname": first,
        "lastname": last,
        "email": f"{first}.{last}.{contact_id}@example.com".lower(),
    }


def timestamps(preset: Preset, count: int) -> Iterator[tuple[str, str]]:
    """createdate and lastmodifieddate, both increasing with the row number."""
    span = (preset.end - preset.start) / max(count, 1)
    for index in range(count):
        created = preset.start + span * index
        yield iso(created), iso(created + timedelta(hours=1))


def pick_rows(rows: list[list[str]], limit: int | None, spread: bool) -> list[list[str]]:
    if limit is None or limit >= len(rows):
        return rows
    if not spread:
        return rows[:limit]
    step = len(rows) / limit
    return [rows[int(index * step)] for index in range(limit)]


def seed_portal(
    store: Store,
    portal_id: int,
    path: str | Path,
    *,
    preset_name: str = "bank",
    mapping: dict[str, str] | None = None,
    limit: int | None = None,
    spread: bool = False,
) -> int:
    """Define the properties and create one contact per row; returns the count.

    `spread` takes `limit` rows evenly spaced over the whole file instead of the
    first ones, so a small seed of time-ordered data still spans the whole period.
    """
    preset = PRESETS[preset_name]
    header, every_row = read_rows(path)
    # Types and options come from the whole file, so that a small seed still
    # accepts every value the full data holds.
    rows = pick_rows(every_row, limit, spread)
    names = {column: property_name(column) for column in header}
    names.update(mapping or {})
    for name in names.values():
        if not PROPERTY_NAME.match(name):
            raise ValueError(f"not a valid HubSpot property name: {name!r}")
    label_index = header.index(preset.label_column) if preset.label_column in header else None
    store.add_group(portal_id, preset.group)
    defined = store.portal(portal_id).properties
    kinds = column_kinds(path)
    for index, column in enumerate(header):
        if index == label_index or names[column] in defined:
            continue
        kind, options = kinds[index]
        store.add_property(
            portal_id, make_property(names[column], column, kind, options, preset.group.name)
        )
    created = 0
    for index, (row, (created_at, modified_at)) in enumerate(
        zip(rows, timestamps(preset, len(rows)), strict=True)
    ):
        values = {names[column]: value for column, value in zip(header, row, strict=False)}
        if label_index is not None:
            values.pop(names[header[label_index]], None)
            values["lifecyclestage"] = preset.label_stages.get(row[label_index], "lead")
        values.update(fake_identity(index + 1))
        values = {name: value for name, value in values.items() if value != ""}
        values["createdate"] = created_at
        values["lastmodifieddate"] = modified_at
        store.create(portal_id, values, SEED_SOURCE, created_at=created_at, trusted=True)
        created += 1
    return created
