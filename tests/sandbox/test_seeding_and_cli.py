"""Seeding from CSV (the shipped bank data and any other file) and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests

from sandbox.hubspot.config import SandboxConfig
from sandbox.hubspot.properties import PROPERTY_NAME
from sandbox.hubspot.seeding import default_seed_path, property_name
from sandbox.hubspot.state import Sandbox


@pytest.fixture(scope="module")
def full_bank() -> Sandbox:
    return Sandbox(SandboxConfig(random_seed=1))


def test_full_bank_seed_maps_the_label_and_names(full_bank):
    portal_id = full_bank.portal_ids[0]
    contacts = full_bank.store.live_contacts(portal_id)
    assert len(contacts) == 41188
    stages = [c.properties["lifecyclestage"] for c in contacts]
    assert stages.count("customer") == 4640
    assert set(stages) == {"customer", "lead"}
    names = full_bank.store.portal(portal_id).properties
    assert all(PROPERTY_NAME.match(name) for name in names)
    assert {"emp_var_rate", "cons_price_idx", "nr_employed", "day_of_week"} <= set(names)
    assert "y" not in names
    assert names["job"].type == "enumeration" and names["age"].type == "number"


def test_timestamps_increase_in_row_order_and_identities_are_fake(full_bank):
    contacts = sorted(full_bank.store.live_contacts(full_bank.portal_ids[0]), key=lambda c: c.id)
    created = [c.properties["createdate"] for c in contacts]
    assert created == sorted(created) and len(set(created)) == len(created)
    assert created[0].startswith("2008-05") and created[-1].startswith("2010-11")
    assert all(c.properties["lastmodifieddate"] > c.properties["createdate"] for c in contacts)
    emails = [c.properties["email"] for c in contacts]
    assert len(set(emails)) == len(emails)
    assert all(email.endswith("@example.com") for email in emails)
    assert contacts[0].properties["hs_object_id"] == "1"


def test_ids_and_identities_are_stable_across_runs_and_portals():
    first = Sandbox(SandboxConfig(seed_limit=50, portals=2))
    second = Sandbox(SandboxConfig(seed_limit=50))
    a, b = first.portal_ids
    for contact in first.store.live_contacts(a):
        twin = first.store.portal(b).contacts[contact.id]
        again = second.store.portal(second.portal_ids[0]).contacts[contact.id]
        assert twin.properties == contact.properties == again.properties


def test_any_csv_with_a_mapping(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "Annual Revenue,Lead Source,Score 2\n1000,web,1\n2500,event,2\n,web,3\n", encoding="utf-8"
    )
    sandbox = Sandbox(
        SandboxConfig(seed=path, preset="plain"), mapping={"Annual Revenue": "annualrevenue"}
    )
    portal = sandbox.store.portal(sandbox.portal_ids[0])
    assert portal.properties["annualrevenue"].type == "number"
    assert portal.properties["lead_source"].type == "enumeration"
    assert portal.properties["score_2"].type == "number"
    assert "annualrevenue" not in portal.contacts[3].properties  # empty stays unset
    with pytest.raises(ValueError, match="valid HubSpot property name"):
        Sandbox(SandboxConfig(seed=path, preset="plain"), mapping={"Lead Source": "Bad Name"})


def test_property_names_are_sanitised():
    assert property_name("emp.var.rate") == "emp_var_rate"
    assert property_name("  Day Of Week ") == "day_of_week"
    assert property_name("2nd try") == "p_2nd_try"


def test_shipped_data_is_present_with_its_attribution():
    path = default_seed_path()
    assert path.exists()
    attribution = (path.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in attribution and "10.1016/j.dss.2014.03.001" in attribution


def test_cli_prints_base_url_portals_and_tokens():
    command = [
        sys.executable,
        "-c",
        "from integration.cli import main; main()",
        "sandbox",
        "hubspot",
        "--port",
        "0",
        "--limit",
        "20",
        "--portals",
        "2",
        "--client-id",
        "cli-id",
        "--client-secret",
        "cli-secret",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while len([line for line in lines if "private app token" in line]) < 2:
            assert time.monotonic() < deadline, lines
            lines.append(process.stdout.readline())
        output = "".join(lines)
        base_url = re.search(r"HubSpot sandbox on (http://\S+)", output).group(1)
        tokens = re.findall(r"portal (\d+): 20 contacts, private app token (\S+)", output)
        assert len(tokens) == 2
        answer = requests.get(
            f"{base_url}/crm/v3/objects/contacts?limit=100",
            headers={"Authorization": f"Bearer {tokens[1][1]}"},
            timeout=5,
        )
        assert len(answer.json()["results"]) == 20
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_talks_to_a_running_sandbox(sandbox):
    from click.testing import CliRunner

    from integration.cli import main

    runner = CliRunner()
    url = ["--url", sandbox.base_url]
    faults = runner.invoke(main, ["sandbox", "faults", *url, "--set", "latency_ms=5"])
    assert faults.exit_code == 0, faults.output
    assert '"latency_ms": 5' in faults.output
    simulated = runner.invoke(
        main, ["sandbox", "simulate", *url, "--rate", "50", "--duration", "0.2"]
    )
    assert simulated.exit_code == 0, simulated.output
    assert sandbox.sandbox.simulator.wait(5)
    stats = runner.invoke(main, ["sandbox", "stats", *url, "--requests", "5"])
    assert stats.exit_code == 0, stats.output
    assert '"simulation"' in stats.output and '"recentRequests"' in stats.output
    revoked = runner.invoke(
        main, ["sandbox", "revoke", *url, str(sandbox.portal_ids[0]), "--uninstall"]
    )
    assert revoked.exit_code == 0 and '"revoked": 0' in revoked.output


def test_a_spread_seed_spans_the_whole_file():
    from sandbox.hubspot.seeding import pick_rows

    rows = [[str(n)] for n in range(10)]
    assert pick_rows(rows, 3, spread=False) == [["0"], ["1"], ["2"]]
    assert pick_rows(rows, 3, spread=True) == [["0"], ["3"], ["6"]]
    assert pick_rows(rows, 20, spread=True) == rows
