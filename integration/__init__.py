"""HolistiCrm Scoring: the service (web receiver, pipeline, scoring, CLI)."""

from integration.app import create_app

__all__ = ["create_app"]
