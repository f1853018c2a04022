"""The training report: metrics.json and the plots a person would rather look at."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI

import matplotlib.pyplot as plt

from integration.scoring.training import TrainingResult

TITLES = {"cv": "cross-validation", "time_holdout": "time-ordered holdout (last 20 %)"}


def report_data(result: TrainingResult) -> dict[str, Any]:
    evaluations = {
        name: value for name, value in result.metrics.items() if name in ("cv", "time_holdout")
    }
    return {
        "model": result.kind,
        "evaluations": evaluations,
        "model_selection": result.metrics.get("candidates"),
        "features_used": [{"name": f["name"], "type": f["kind"]} for f in result.features],
        "features_excluded": [
            {"name": name, "reason": reason} for name, reason in result.excluded.items()
        ],
        "tier_cutoffs": dict(zip("ABC", result.bundle["tier_cutoffs"], strict=True)),
        "training_summary": result.training_summary,
    }


def write_report(result: TrainingResult, directory: str | Path) -> list[Path]:
    """Write metrics.json and roc.png, lift.png, calibration.png; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "metrics.json"
    path.write_text(json.dumps(report_data(result), indent=2, sort_keys=True))
    return [path, *_plots(result.curves, directory)]


def _plots(curves: dict[str, Any], directory: Path) -> list[Path]:
    paths = []
    for name, draw in (("roc", _roc), ("lift", _lift), ("calibration", _calibration)):
        figure, axes = plt.subplots(figsize=(6, 4.5), dpi=110)
        for evaluation, points in curves.items():
            draw(axes, points, TITLES.get(evaluation, evaluation))
        _reference(axes, name)
        axes.grid(alpha=0.3)
        axes.legend(loc="best", fontsize=8)
        figure.tight_layout()
        path = directory / f"{name}.png"
        figure.savefig(path)
        plt.close(figure)
        paths.append(path)
    return paths


def _reference(axes, name: str) -> None:
    """What no skill (ROC, lift) or perfect calibration would look like."""
    if name == "lift":
        axes.axhline(1.0, linestyle=":", color="grey", label="random order")
    elif name == "roc":
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="random order")
    else:
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")


def _roc(axes, points, label) -> None:
    axes.plot(points["roc"]["fpr"], points["roc"]["tpr"], label=label)
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")


def _lift(axes, points, label) -> None:
    shares = [100 * share for share in points["lift"]["share"]]
    axes.plot(shares, points["lift"]["lift"], label=label)
    axes.set(
        xlabel="top % of contacts by score",
        ylabel="lift (positive rate / overall rate)",
        title="Cumulative lift",
    )


def _calibration(axes, points, label) -> None:
    axes.plot(points["calibration"]["predicted"], points["calibration"]["observed"],
              marker="o", label=label)
    axes.set(xlabel="predicted probability", ylabel="observed rate",
             title="Calibration (deciles of predicted probability)")
