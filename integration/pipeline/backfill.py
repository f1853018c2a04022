"""Score every contact of an installation and write back what changed.

Pages through all contacts (with our fields, so unchanged scores are skipped),
scores each page and batch-writes it: one list call and at most one write call
per 100 contacts. The shared rate budget keeps the pace just under the CRM's
limit. The paging cursor is saved after every page, so an interrupted backfill
resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integration.db import db
from integration.logs import log_event
from integration.pipeline import jobs, records
from integration.pipeline.runtime import Runtime, load_runtime
from integration.pipeline.scorewrite import score_and_write_contacts

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


class InstallationInactive(Exception):
    """The installation is paused (e.g. needs reauthorization) or does not exist."""


@dataclass
class BackfillSummary:
    job_id: int
    resumed_from: int
    contacts: int = 0
    written: int = 0
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def run_backfill(
    installation_id: int,
    config: dict[str, Any],
    on_page: Callable[[int, int | None], None] | None = None,
    restart: bool = False,
    max_pages: int | None = None,
) -> BackfillSummary:
    """Backfill; `on_page(contacts_done, total)` reports progress after every page."""
    runtime = load_runtime(installation_id, config)
    if runtime is None:
        raise InstallationInactive(f"installation {installation_id} is not active")
    job = jobs.resume_or_start(installation_id, "backfill", restart)
    summary = BackfillSummary(job.id, resumed_from=job.processed, contacts=job.processed)
    cursor, pages = job.cursor, 0
    try:
        while True:
            page = runtime.client.list_contacts(runtime.properties_to_read(), cursor, PAGE_SIZE)
            _score_page(runtime, page.contacts, summary)
            cursor = page.next_cursor
            jobs.checkpoint(job.id, cursor, summary.contacts, page.total)
            pages += 1
            if on_page:
                on_page(summary.contacts, page.total)
            if cursor is None:
                break
            if max_pages is not None and pages >= max_pages:
                jobs.finish(job.id, "interrupted", "stopped after --max-pages")
                return summary
    except BaseException as exc:
        jobs.finish(job.id, "interrupted", type(exc).__name__)
        raise
    jobs.finish(job.id, "done")
    log_event(
        logger,
        "backfill.done",
        installation=installation_id,
        contacts=summary.contacts,
        written=summary.written,
        unchanged=summary.unchanged,
        failed=len(summary.failed),
    )
    return summary


def _score_page(runtime: Runtime, contacts, summary: BackfillSummary) -> None:
    result = score_and_write_contacts(runtime, contacts)
    with db.transaction() as session:
        records.record_scores(session, runtime.installation_id, result, {})
    summary.contacts += len(contacts)
    summary.written += len(result.written)
    summary.unchanged += len(result.unchanged)
    summary.failed.update({cid: reason for cid, (_, reason) in result.failed.items()})
