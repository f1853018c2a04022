"""Training from the CRM's own history: pull every contact, label, train, register.

The pull is resumable: each page is appended to a file under HOLISTICRM_HOME and
the paging cursor saved after it, so a pull cut short (network, rate limit,
Ctrl-C) goes on from the last page. A page written twice is read once.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.registry import get_connector
from integration.config import home_dir
from integration.db import db
from integration.logs import log_event
from integration.models import Installation, ModelVersion
from integration.pipeline import jobs
from integration.pipeline.backfill import InstallationInactive
from integration.pipeline.runtime import forget, load_runtime
from integration.scoring import (
    LEAD_CONVERSION,
    LabelDefinition,
    ScoringSettings,
    TrainingOptions,
    registry,
    train,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# HubSpot's creation date: rows in time order for the time-ordered holdout.
TIME_PROPERTIES = ("createdate", "hs_createdate")


def not_history(installation_id: int, config: dict[str, Any]) -> set[str]:
    """Our own fields and the CRM's identity and bookkeeping fields: never features."""
    with db.transaction() as session:
        slug = session.get(Installation, installation_id).connector
    connector = get_connector(slug, config)
    return connector.score_field_names() | set(connector.non_feature_properties)


def pull_file(job_id: int) -> Path:
    return home_dir() / "pulls" / f"job-{job_id}.jsonl.gz"


def pull_history(
    installation_id: int,
    config: dict[str, Any],
    on_page: Callable[[int, int | None], None] | None = None,
    restart: bool = False,
) -> pd.DataFrame:
    """All contacts with all their properties (except the ones we write), as a frame."""
    runtime = load_runtime(installation_id, config)
    if runtime is None:
        raise InstallationInactive(
            f"installation {installation_id} does not exist or is not active "
            "(see holisticrm installations list)"
        )
    skip = not_history(installation_id, config)
    properties = [name for name in runtime.properties_to_read() if name not in skip]
    job = jobs.resume_or_start(installation_id, "training_pull", restart)
    path = pull_file(job.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    cursor, pulled = job.cursor, job.processed
    if job.processed and cursor is None:  # finished earlier but not yet used
        return _load(path)
    try:
        while True:
            page = runtime.client.list_contacts(properties, cursor, PAGE_SIZE)
            _append(path, page.contacts)
            pulled, cursor = pulled + len(page.contacts), page.next_cursor
            jobs.checkpoint(job.id, cursor, pulled, page.total)
            if on_page:
                on_page(pulled, page.total)
            if cursor is None:
                break
    except BaseException as exc:
        jobs.finish(job.id, "interrupted", type(exc).__name__)
        raise
    frame = _load(path)
    jobs.finish(job.id, "done")
    path.unlink(missing_ok=True)  # contact data is not kept longer than needed
    return frame


def _append(path: Path, contacts) -> None:
    with gzip.open(path, "at", encoding="utf-8") as handle:
        for contact in contacts:
            handle.write(json.dumps({"id": contact.id, **dict(contact.properties)}) + "\n")


def _load(path: Path) -> pd.DataFrame:
    rows: dict[str, dict] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            rows[record["id"]] = record
    return pd.DataFrame.from_records(list(rows.values()))


def train_installation(
    installation_id: int,
    config: dict[str, Any],
    on_page: Callable[[int, int | None], None] | None = None,
    restart: bool = False,
    label: LabelDefinition | None = None,
) -> tuple[Any, ModelVersion]:
    """Pull, train with the installation's label definition, register; (result, version).

    `label` overrides the installation's definition (default: lead conversion)."""
    frame = pull_history(installation_id, config, on_page, restart)
    with db.transaction() as session:
        settings = ScoringSettings.from_mapping(session.get(Installation, installation_id).settings)
    label = label or settings.label or LEAD_CONVERSION
    time_column = next((name for name in TIME_PROPERTIES if name in frame.columns), None)
    options = TrainingOptions(time_column=time_column, settings=settings)
    # The CRM returns some bookkeeping properties whether asked for or not.
    skip = not_history(installation_id, config)
    features = frame.drop(columns=[name for name in frame.columns if name == "id" or name in skip])
    result = train(features, label, options)
    with db.transaction() as session:
        version = registry.register(session, installation_id, result)
        session.flush()
        session.expunge(version)
    forget(installation_id)  # workers pick up a new champion on their next batch
    log_event(
        logger,
        "training.registered",
        installation=installation_id,
        version=version.version,
        status=version.status,
        rows=len(frame),
    )
    return result, version
