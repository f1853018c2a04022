"""Every command ends a failure with one line, never a traceback."""

from __future__ import annotations

from click.testing import CliRunner

from integration.cli import main


def run(args, env=None):
    return CliRunner().invoke(main, args, env=env or {})


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path):
    # Nothing listens on port 1: the connection is refused at once.
    result = run(["installations", "list"], {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x",
                                             "HOLISTICRM_HOME": str(tmp_path)})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: OperationalError")
    assert "check DATABASE_URL" in lines[0]


def test_impossible_option_values_are_refused_before_anything_starts(tmp_path):
    env = {"HOLISTICRM_HOME": str(tmp_path)}
    assert run(["demo", "--contacts", "0"], env).exit_code == 2
    assert run(["demo", "--rate", "0"], env).exit_code == 2
    assert run(["events", "list", "--limit", "-1"], env).exit_code == 2
    refused = run(["installations", "add", "hubspot", "--portal-id", "abc"], env)
    assert refused.exit_code == 2 and "positive whole number" in refused.output


def test_a_bad_encryption_key_is_one_line(tmp_path):
    result = run(["keys", "rotate"], {"ENCRYPTION_KEYS": "garbage",
                                      "HOLISTICRM_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: ValueError: ENCRYPTION_KEYS holds a value that is not a Fernet key")
