"""Seed portals with contacts from a CSV file and a column-to-property mapping.

The `bank` preset reads the UCI bank marketing file shipped in `sandbox/data/`:
column names become HubSpot property names, `y` becomes the lifecycle stage
(customer or lead), and each row gets invented name and e-mail fields plus
HubSpot's own timestamps, increasing in row order because the rows are in time
order.
"""

from __future__ import annotations

import csv
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
    assert PROPERTY_NAME.match(name), name
    return name


def default_seed_path() -> Path:
    return Path(str(resources.files("sandbox.data").joinpath(BANK_FILE)))


def read_rows(path: str | Path, limit: int | None) -> tuple[list[str], list[list[str]]]:
    """Header and rows; `;` or `,` separated, plain or gzip-compressed."""
    raw = Path(path).read_bytes()
    if str(path).endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    rows = []
    for row in reader:
        if not row:
            continue
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return header, rows


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def infer_property(name: str, label: str, values: list[str], group: str) -> PropertyDef:
    present = [value for value in values if value != ""]
    if present and all(is_number(value) for value in present):
        return PropertyDef(name, label, "number", "number", group)
    distinct = sorted(set(present))
    if 0 < len(distinct) <= MAX_OPTIONS:
        return PropertyDef(
            name, label, "enumeration", "select", group, options=options_for(distinct)
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


def seed_portal(
    store: Store,
    portal_id: int,
    path: str | Path,
    *,
    preset_name: str = "bank",
    mapping: dict[str, str] | None = None,
    limit: int | None = None,
) -> int:
    """Define the properties and create one contact per row; returns the count."""
    preset = PRESETS[preset_name]
    header, rows = read_rows(path, limit)
    names = {column: property_name(column) for column in header}
    names.update(mapping or {})
    for name in names.values():
        if not PROPERTY_NAME.match(name):
            raise ValueError(f"not a valid HubSpot property name: {name!r}")
    label_index = header.index(preset.label_column) if preset.label_column in header else None
    store.add_group(portal_id, preset.group)
    defined = store.portal(portal_id).properties
    for index, column in enumerate(header):
        if index == label_index or names[column] in defined:
            continue
        values = [row[index] for row in rows]
        store.add_property(
            portal_id, infer_property(names[column], column, values, preset.group.name)
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
