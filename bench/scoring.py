"""Scoring speed: full scoring (with tiers, reasons, actions) vs bare predict_proba.

    python bench/scoring.py [--rows 100000] [--csv PATH] [--model FILE]

Trains one model of each kind on the bank data (or loads --model), then times, on
the same 100k rows: the fitted estimator's predict_proba on the already-encoded
matrix, and `Scorer.score_frame` from raw strings to reasons and actions. Also
times the pipeline's path, `Scorer.score` on batches of 100 dict rows.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from integration.scoring import LabelDefinition, ModelScorer, TrainingOptions, train
from integration.scoring.artifacts import load_file
from integration.scoring.settings import ScoringSettings
from integration.scoring.tables import read_csv

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT.parent / "shared" / "data" / "bank-marketing" / "bank-additional-full.csv"
PRESET = ROOT / "integration" / "scoring" / "presets" / "bank_marketing.json"
REPEATS = 5
BATCH = 100
BATCH_ROWS = 10_000


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def paired(bare: Callable[[], object], full: Callable[[], object]) -> tuple[float, float]:
    """Best times of the two, run alternately so both see the same machine load
    (other jobs share the cores; alternating keeps the ratio honest)."""
    bare_times, full_times = [], []
    for _ in range(REPEATS):
        bare_times.append(timed(bare))
        full_times.append(timed(full))
    return min(bare_times), min(full_times)


def scorers(frame: pd.DataFrame, model_path: str | None) -> list[ModelScorer]:
    settings = ScoringSettings.from_mapping(json.loads(PRESET.read_text()))
    if model_path:
        bundle, digest = load_file(model_path)
        return [ModelScorer(bundle, settings, version=f"file:{digest[:12]}")]
    label = LabelDefinition("y", ("yes",))
    out = []
    for kind in ("gradient_boosting", "logistic"):
        result = train(frame, label, TrainingOptions(model=kind, settings=settings))
        out.append(ModelScorer(result.bundle, settings, version=kind))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv", default=str(BANK))
    parser.add_argument("--model", help="a model file saved by `holisticrm train --save`")
    args = parser.parse_args()

    data = read_csv(args.csv)
    repeats = -(-args.rows // len(data))
    rows = pd.concat([data] * repeats, ignore_index=True).iloc[: args.rows].drop(columns=["y"])
    batch_rows = rows.iloc[:BATCH_ROWS].to_dict("records")
    print(f"{len(rows):,} rows, {rows.shape[1]} columns; best of {REPEATS} alternating runs\n")
    header = f"{'model':<20} {'predict_proba':>14} {'score_frame':>12} {'ratio':>6} "
    print(header + f"{'per 100-row batch':>18}")
    for scorer in scorers(data, args.model):
        X = scorer.encoder.encode(rows)
        bare, full = paired(
            lambda s=scorer, m=X: s.estimator.predict_proba(m),
            lambda s=scorer: s.score_frame(rows),
        )
        batches = timed(
            lambda s=scorer: [
                s.score(batch_rows[i : i + BATCH]) for i in range(0, len(batch_rows), BATCH)
            ]
        )
        per_batch = 1000 * batches / (len(batch_rows) / BATCH)
        print(
            f"{scorer.version:<20} {bare:>12.3f} s {full:>10.3f} s {full / bare:>5.2f}x "
            f"{per_batch:>15.1f} ms"
        )


if __name__ == "__main__":
    main()
