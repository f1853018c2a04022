"""Errors the scoring engine raises on bad input, each with a short reason slug.

The CLI prints `str(error)` and exits non-zero; the pipeline can record `reason`.
"""

from __future__ import annotations


class ScoringError(Exception):
    """Base class: a problem with the data or the model, never a bug in the caller."""

    reason = "scoring-error"


class EmptyData(ScoringError):
    reason = "empty-data"


class UnknownColumn(ScoringError):
    reason = "unknown-column"


class SingleClass(ScoringError):
    reason = "single-class"


class NoUsableFeatures(ScoringError):
    reason = "no-usable-features"


class NotEnoughLabels(ScoringError):
    """Fewer labeled contacts or positives than the cold-start threshold asks for."""

    reason = "not-enough-labels"


class BadSettings(ScoringError):
    reason = "bad-settings"


class ArtifactError(ScoringError):
    """A stored model that must not be loaded: bad hash, unknown format, untrusted types."""

    reason = "bad-artifact"
