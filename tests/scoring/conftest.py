"""Fixtures for the scoring tests: generated CRM-like contacts and a migrated database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from integration import migrate
from integration.db import db
from integration.models import Installation

REPO_ROOT = Path(__file__).resolve().parents[2]
BANK_DIR = REPO_ROOT.parent / "shared" / "data" / "bank-marketing"
BANK_CSV = BANK_DIR / "bank-additional-full.csv"
SOURCES = ["organic", "paid", "referral", "email"]


def make_contacts(n: int = 1500, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    """Contacts as HubSpot would return them: every value a string, some empty.

    Conversion depends on engagement (`num_contacted`), `hs_analytics_source`, the
    opt-in flag and the age of the record; `noise` carries nothing. `shift` moves
    the relationship, to make a later, different world.
    """
    rng = np.random.default_rng(seed)
    contacted = rng.poisson(2.0, n)
    source = rng.choice(SOURCES, n, p=[0.4, 0.3, 0.2, 0.1])
    opted_in = rng.random(n) < 0.5
    age_days = rng.integers(1, 700, n)
    created = pd.Timestamp("2026-01-01", tz="UTC") - pd.to_timedelta(age_days, unit="D")
    logit = (
        -2.2 + (0.6 - shift) * contacted + 1.2 * (source == "referral")
        + 0.8 * opted_in - 0.002 * age_days
    )
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "hs_object_id": [str(100000 + i) for i in range(n)],
            "email": [f"person{i}@example.com" for i in range(n)],
            "num_contacted": contacted.astype(str),
            "hs_analytics_source": source,
            "opted_in": np.where(opted_in, "true", "false"),
            "createdate": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "noise": rng.normal(size=n).round(3).astype(str),
            "lifecyclestage": np.where(converted, "customer", "lead"),
        }
    )
    # Some values are missing the ways CRMs say so.
    frame.loc[rng.random(n) < 0.05, "hs_analytics_source"] = "unknown"
    frame.loc[rng.random(n) < 0.05, "num_contacted"] = ""
    return frame


@pytest.fixture(scope="session", autouse=True)
def one_openmp_thread():
    """Gradient boosting's OpenMP threads spin against other processes on a busy
    2-core runner (tests ran 2.5x slower); one thread keeps the suite steady."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture
def contacts() -> pd.DataFrame:
    return make_contacts()


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    """A migrated SQLite database, configured as `db` and for the CLI."""
    url = f"sqlite:///{tmp_path / 'scoring.db'}"
    migrate.upgrade(url)
    db.configure(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOLISTICRM_HOME", str(tmp_path / "home"))
    return url


@pytest.fixture
def installation_id(database) -> int:
    with db.transaction() as session:
        installation = Installation(connector="hubspot", external_account_id="4242")
        session.add(installation)
        session.flush()
        return installation.id


@pytest.fixture
def bank_csv() -> Path:
    if not BANK_CSV.exists():
        pytest.skip(f"bank marketing data not found at {BANK_DIR}")
    return BANK_CSV
