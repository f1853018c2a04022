"""Connectors by slug. A provider is not an installation: this returns the CRM's code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Connector


class UnknownConnector(LookupError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no connector named {slug!r}; known: {', '.join(sorted(FACTORIES))}")
        self.slug = slug


def _hubspot(config: Mapping[str, Any]) -> Connector:
    from connectors.hubspot.connector import HubSpotConnector, HubSpotSettings

    return HubSpotConnector(HubSpotSettings.from_config(config))


FACTORIES = {"hubspot": _hubspot}
_cache: dict[tuple[str, int], Connector] = {}


def get_connector(slug: str, config: Mapping[str, Any]) -> Connector:
    """The connector for `slug`, built once per configuration."""
    if slug not in FACTORIES:
        raise UnknownConnector(slug)
    key = (slug, id(config))
    if key not in _cache:
        _cache[key] = FACTORIES[slug](config)
    return _cache[key]
