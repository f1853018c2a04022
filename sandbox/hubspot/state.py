"""Everything one sandbox run holds, wired together; the Flask app only reads it."""

from __future__ import annotations

import random
from pathlib import Path

from sandbox.hubspot.config import SandboxConfig
from sandbox.hubspot.faults import FaultSwitch
from sandbox.hubspot.ratelimit import RollingLimit
from sandbox.hubspot.seeding import default_seed_path, seed_portal
from sandbox.hubspot.simulate import Simulator
from sandbox.hubspot.stats import Stats
from sandbox.hubspot.store import Source, Store
from sandbox.hubspot.tokens import Tokens
from sandbox.hubspot.webhooks import Dispatcher


class Sandbox:
    def __init__(self, config: SandboxConfig, mapping: dict[str, str] | None = None) -> None:
        self.config = config
        self.rng = random.Random(config.random_seed)
        self.store = Store()
        self.tokens = Tokens(
            config.app_id, config.access_token_lifetime_s, config.auth_code_lifetime_s
        )
        self.stats = Stats(config.request_log_size)
        self.faults = FaultSwitch(self.rng)
        self.limit = RollingLimit(config.rate_limit, config.rate_interval_s)
        self.search_limit = RollingLimit(config.search_per_second, 1.0)
        self.webhooks = Dispatcher(config, self.tokens, self.stats, self.faults)
        self.store.listeners.append(self.webhooks.on_changes)
        self.simulator = Simulator(self.store, self.rng)
        self.private_tokens: dict[int, str] = {}
        self.seeded: dict[int, int] = {}
        self._create_portals(mapping)

    def _create_portals(self, mapping: dict[str, str] | None) -> None:
        seed = self.seed_path()
        for portal_id in self.config.portal_ids:
            token = self.tokens.add_private(portal_id, list(self.config.scopes))
            self.private_tokens[portal_id] = token
            self.store.add_portal(portal_id, token)
            self.seeded[portal_id] = 0
            if seed is not None:
                self.seeded[portal_id] = seed_portal(
                    self.store,
                    portal_id,
                    seed,
                    preset_name=self.config.preset,
                    mapping=mapping,
                    limit=self.config.seed_limit,
                    spread=self.config.seed_spread,
                )

    def seed_path(self) -> Path | None:
        if self.config.seed == "":
            return None
        return default_seed_path() if self.config.seed is None else Path(self.config.seed)

    @property
    def portal_ids(self) -> list[int]:
        return list(self.config.portal_ids)

    def app_source(self, private: bool) -> Source:
        """Writes by an app come back as INTEGRATION changes with the app as source."""
        app_id = self.config.app_id + 1 if private else self.config.app_id
        return Source("INTEGRATION", str(app_id))

    def start(self) -> None:
        self.webhooks.start()

    def stop(self) -> None:
        self.simulator.stop()
        self.webhooks.stop()
