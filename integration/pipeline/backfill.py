"""Score every contact of an installation and write back what changed.

Pages through all contacts (with our fields, so unchanged scores are skipped),
scores each page and batch-writes it: one list call and at most one write call
per 100 contacts. The shared rate budget keeps the pace just under the CRM's
limit. The paging cursor is saved after every page, so an interrupted backfill
resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        raise InstallationInactive(
            f"installation {installation_id} does not exist or is not active "
            "(see holisticrm installations list)"
        )
    job = jobs.resume_or_start(installation_id, "backfill", restart)
    summary = BackfillSummary(job.id, resumed_from=job.processed, contacts=job.processed)
    pages = 0
    properties = runtime.properties_to_read()

    def fetch(after: str | None):
        return runtime.client.list_contacts(properties, after, PAGE_SIZE)

    # Three things overlap: reading the next page, scoring and writing this one, and
    # recording the previous one in our database. Done one after the other they left
    # the API idle and the pace fell well under the rate limit (bench/pipeline.py).
    # Pages are recorded in order, and the cursor is saved only once a page is
    # recorded, so a resume never skips a page.
    prefetch = ThreadPoolExecutor(1, thread_name_prefix="backfill-prefetch")
    recorder = ThreadPoolExecutor(1, thread_name_prefix="backfill-record")
    recording = None
    try:
        ahead = prefetch.submit(fetch, job.cursor)
        while True:
            page = ahead.result()
            pages += 1
            more = max_pages is None or pages < max_pages
            if page.next_cursor is not None and more:
                ahead = prefetch.submit(fetch, page.next_cursor)
            result = score_and_write_contacts(runtime, page.contacts)
            if recording is not None:
                recording.result()
            recording = recorder.submit(_record_page, runtime, job.id, page, result, summary,
                                        on_page)
            if page.next_cursor is None:
                break
            if not more:
                recording.result()
                jobs.finish(job.id, "interrupted", "stopped after --max-pages")
                return summary
        recording.result()
    except BaseException as exc:
        _settle(recording)
        jobs.finish(job.id, "interrupted", type(exc).__name__)
        raise
    finally:
        prefetch.shutdown(wait=True, cancel_futures=True)
        recorder.shutdown(wait=True)
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


def _record_page(runtime: Runtime, job_id: int, page, result, summary: BackfillSummary,
                 on_page) -> None:
    with db.transaction() as session:
        records.record_scores(session, runtime.installation_id, result, {})
    summary.contacts += len(page.contacts)
    summary.written += len(result.written)
    summary.unchanged += len(result.unchanged)
    summary.failed.update({cid: reason for cid, (_, reason) in result.failed.items()})
    jobs.checkpoint(job_id, page.next_cursor, summary.contacts, page.total)
    if on_page:
        on_page(summary.contacts, page.total)


def _settle(recording) -> None:
    """Let the page being recorded finish, so the saved cursor matches what is stored."""
    if recording is not None:
        # Its own error, if any, matters less than the one that stopped us.
        with contextlib.suppress(Exception):
            recording.result()
