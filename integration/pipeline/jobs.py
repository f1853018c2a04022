"""Long jobs against the CRM (training pull, backfill) that resume after interruption."""

from __future__ import annotations

from sqlalchemy import select

from integration.db import db
from integration.models import SyncJob, utcnow


def resume_or_start(installation_id: int, kind: str, restart: bool = False) -> SyncJob:
    """The unfinished job of this kind, or a new one; `restart` abandons the old one."""
    with db.transaction() as session:
        query = (
            select(SyncJob)
            .where(
                SyncJob.installation_id == installation_id,
                SyncJob.kind == kind,
                SyncJob.status.in_(("running", "interrupted")),
            )
            .order_by(SyncJob.id.desc())
        )
        job = session.scalars(query).first()
        if job is not None and restart:
            job.status, job.finished_at = "failed", utcnow()
            job.error = "abandoned: restarted from the beginning"
            job = None
        if job is None:
            job = SyncJob(installation_id=installation_id, kind=kind, status="running", processed=0)
            session.add(job)
        job.status = "running"
        session.flush()
        session.expunge(job)
        return job


def checkpoint(job_id: int, cursor: str | None, processed: int, total: int | None = None) -> None:
    with db.transaction() as session:
        job = session.get(SyncJob, job_id)
        job.cursor, job.processed = cursor, processed
        if total is not None:
            job.total = total


def finish(job_id: int, status: str, error: str | None = None) -> None:
    with db.transaction() as session:
        job = session.get(SyncJob, job_id)
        job.status, job.error, job.finished_at = status, error, utcnow()
