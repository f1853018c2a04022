"""Celery tasks of the pipeline (filled in by the intake and pipeline work)."""
