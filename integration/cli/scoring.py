"""`holisticrm train|score|models`: the scoring engine from the command line."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pandas as pd
from tqdm import tqdm

from connectors.errors import ConnectorError
from integration.cli.common import echo_json, echo_table, open_database
from integration.db import db
from integration.scoring import (
    LabelDefinition,
    ModelScorer,
    ScoringError,
    ScoringSettings,
    TrainingOptions,
    TrainingResult,
    artifacts,
    registry,
    train,
)
from integration.scoring.errors import UnknownColumn
from integration.scoring.tables import read_csv

METRIC_COLUMNS = [
    "evaluation",
    "roc_auc",
    "pr_auc",
    "brier",
    "ece",
    "lift_top_decile",
    "n_rows",
    "n_positive",
]


def register(main: click.Group) -> None:
    main.add_command(train_command)
    main.add_command(score_command)
    main.add_command(models)


@contextmanager
def clean_errors() -> Iterator[None]:
    """Bad data or an unwritable path ends in one clear line and exit status 1."""
    try:
        yield
    except ScoringError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise click.ClickException(f"{exc.strerror or exc}{where}") from exc


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _settings(path: str | None) -> ScoringSettings:
    if path is None:
        return ScoringSettings()
    try:
        return ScoringSettings.from_mapping(json.loads(Path(path).read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"cannot read settings file {path!r}: {exc}") from exc


@click.command("train")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False),
    help="Contacts, one per row; the delimiter is detected.",
)
@click.option(
    "--installation",
    "installation_id",
    type=int,
    help="Instead of a file: pull the history of this installation's CRM, then register.",
)
@click.option("--restart", is_flag=True, help="With --installation: pull from the start again.")
@click.option("--target", help="Column holding the outcome (with --installation: its label).")
@click.option(
    "--positive",
    multiple=True,
    help="Value(s) of the target that count as yes (repeat or comma-separate).",
)
@click.option(
    "--goal",
    type=click.Choice(["conversion", "churn"]),
    default="conversion",
    show_default=True,
    help="Picks the default next-best-action rules.",
)
@click.option("--drop", multiple=True, help="Columns to leave out (repeat or comma-separate).")
@click.option("--time-column", help="Date column: rows are sorted by it for the time holdout.")
@click.option("--time-ordered", is_flag=True, help="Rows are already oldest first.")
@click.option(
    "--model",
    "model_kind",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "gradient_boosting", "logistic"]),
)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False),
    help="JSON scoring settings (feature types, missing values, templates...).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write metrics.json and ROC, lift and calibration plots here.",
)
@click.option(
    "--save",
    "save_path",
    type=click.Path(dir_okay=False),
    help="Write the trained model to this file.",
)
def train_command(
    csv_path,
    installation_id,
    restart,
    target,
    positive,
    goal,
    drop,
    time_column,
    time_ordered,
    model_kind,
    settings_path,
    report_dir,
    save_path,
) -> None:
    """Train and evaluate a scoring model, from a CSV file or from a CRM's history."""
    if time_column and time_ordered:
        raise click.UsageError("use either --time-column or --time-ordered, not both")
    if (csv_path is None) == (installation_id is None):
        raise click.UsageError("give either --csv FILE or --installation ID")
    if installation_id is not None:
        _train_installation(installation_id, restart, target, positive, goal, report_dir)
        return
    if not target or not positive:
        raise click.UsageError("--csv needs --target and --positive")
    with clean_errors():
        label = LabelDefinition(property=target, positive=tuple(_split(positive)), goal=goal)
        options = TrainingOptions(
            drop=_split(drop),
            time_column=time_column,
            time_ordered=time_ordered,
            model=model_kind,
            settings=_settings(settings_path),
        )
        frame = _training_frame(csv_path)
        result = _train_with_progress(frame, label, options)
        _print_result(result)
        if report_dir:
            from integration.scoring.report import write_report  # matplotlib only if asked

            for path in write_report(result, report_dir):
                click.echo(f"wrote {path}")
        if save_path:
            digest = artifacts.save_file(save_path, result.bundle)
            click.echo(f"saved model to {save_path} (sha256 {digest[:12]})")


def _train_installation(installation_id, restart, target, positive, goal, report_dir) -> None:
    """Pull the CRM's contacts (resumable), train with the installation's label
    definition (or --target/--positive), and register the model as a version."""
    from integration.pipeline.backfill import InstallationInactive
    from integration.pipeline.history import train_installation

    config = open_database()
    label = None
    if target:
        label = LabelDefinition(property=target, positive=tuple(_split(positive)), goal=goal)
    bar = tqdm(desc="pulling contacts", unit="contact", dynamic_ncols=True)

    def on_page(done: int, total: int | None) -> None:
        bar.total = total or bar.total
        bar.update(done - bar.n)

    try:
        with clean_errors():
            result, version = train_installation(
                installation_id, config, on_page, restart=restart, label=label
            )
    except (InstallationInactive, ConnectorError) as exc:
        raise click.ClickException(
            f"{exc}; the pull resumes where it stopped when you run the command again"
        ) from exc
    finally:
        bar.close()
    _print_result(result)
    click.echo(f"registered as version {version.version}: {version.status}")
    if report_dir:
        from integration.scoring.report import write_report

        for path in write_report(result, report_dir):
            click.echo(f"wrote {path}")


def _training_frame(csv_path: str) -> pd.DataFrame:
    """The contacts to learn from. Each source only has to produce this frame (one
    row per contact, values as strings); labels, training, the report and saving
    are shared. A CRM source (`--installation ID`) slots in here beside the file."""
    return read_csv(csv_path)


def _train_with_progress(frame, label, options) -> TrainingResult:
    with progress_reporter() as step:
        return train(frame, label, options, progress=step)


@contextmanager
def progress_reporter() -> Iterator[Callable[[str], None]]:
    """A live status line on a terminal; timestamped lines in logs and CI."""
    started = time.monotonic()
    if sys.stderr.isatty():
        with tqdm(total=None, bar_format="{desc} [{elapsed}]", leave=False) as bar:

            def update(name: str) -> None:
                bar.set_description_str(f"training: {name}")
                bar.update()

            yield update
    else:

        def log_line(name: str) -> None:
            click.echo(f"[{time.monotonic() - started:6.1f} s] {name}", err=True)

        yield log_line
    click.echo(f"trained in {time.monotonic() - started:.1f} s", err=True)


def _print_result(result: TrainingResult) -> None:
    selection = result.metrics.get("candidates") or {}
    click.echo(f"model: {result.kind} (chosen by {selection.get('chosen_by', 'request')})")
    rows = []
    for name in ("cv", "time_holdout"):
        if name in result.metrics:
            rows.append({"evaluation": name, **_rounded(result.metrics[name])})
    echo_table(rows, METRIC_COLUMNS)
    click.echo(
        f"features used ({len(result.features)}): " + ", ".join(f["name"] for f in result.features)
    )
    for name, reason in result.excluded.items():
        click.echo(f"excluded {name}: {reason}")


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}


@click.command("score")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), required=True)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), required=True)
@click.option("--id-column", required=True, help="Column that identifies each contact.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False),
    help="JSON scoring settings (tiers, actions, reason templates).",
)
def score_command(model_path, csv_path, id_column, out_path, settings_path) -> None:
    """Score every row of a CSV file with a saved model."""
    with clean_errors():
        settings = _settings(settings_path)
        bundle, digest = artifacts.load_file(model_path)
        scorer = ModelScorer(bundle, settings, version=f"file:{digest[:12]}")
        frame = read_csv(csv_path)
        if id_column not in frame.columns:
            raise UnknownColumn(f"id column {id_column!r} is not in the data")
        table = _score_in_chunks(scorer.score_frame, frame)
    table.insert(0, "id", frame[id_column].to_numpy())
    table["reasons"] = table["reasons"].map("; ".join)
    table["probability"] = table["probability"].round(6)
    with clean_errors():
        table.to_csv(out_path, index=False)
    click.echo(f"scored {len(table)} contacts with model {scorer.version} -> {out_path}")


def _score_in_chunks(
    score: Callable[[pd.DataFrame], pd.DataFrame], frame: pd.DataFrame, size: int = 50_000
) -> pd.DataFrame:
    parts = []
    for start in tqdm(
        range(0, len(frame), size), desc="scoring", unit="chunk", leave=False, disable=None
    ):
        parts.append(score(frame.iloc[start : start + size]))
    return pd.concat(parts, ignore_index=True)


@click.group("models")
def models() -> None:
    """Stored model versions per installation."""


@models.command("list")
@click.option("--installation", "installation_id", type=int, required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_models(installation_id: int, as_json: bool) -> None:
    """Versions with their status (champion, candidate, retired) and metrics."""
    open_database()
    with db.transaction() as session:
        rows = [registry.describe(row) for row in registry.list_versions(session, installation_id)]
    if as_json:
        echo_json(rows)
        return
    echo_table(
        rows,
        [
            "version",
            "kind",
            "status",
            "cv_roc_auc",
            "holdout_roc_auc",
            "n_rows",
            "created_at",
            "promoted_at",
            "promotion",
        ],
    )


@models.command("rollback")
@click.option("--installation", "installation_id", type=int, required=True)
@click.option("--to", "version", type=int, required=True, help="Version to make champion.")
def rollback_model(installation_id: int, version: int) -> None:
    """Make an earlier version the champion again."""
    open_database()
    with clean_errors(), db.transaction() as session:
        row = registry.rollback(session, installation_id, version)
        click.echo(f"installation {installation_id}: version {row.version} is champion")
