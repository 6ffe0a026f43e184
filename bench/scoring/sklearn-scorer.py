"""Child process of the scoring benchmark: the same job as Holdout's scorer, with pandas + scikit-learn.

Reads the submission format, the labels and the predictions; checks the predictions as Holdout
does (same header, every id of the format once and no other, finite probabilities in [0, 1]);
scores ROC AUC and log loss on the Public and the Private rows. Prints one JSON line: the time
after imports, its CPU time, the scores and the peak RSS (VmHWM).

    /usr/bin/python3 bench/scoring/sklearn-scorer.py <format.csv> <labels.csv> <predictions.csv>
"""
import json
import re
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score


def peak_rss() -> int:
    with open("/proc/self/status") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB$", f.read(), re.M).group(1)) * 1024


def main() -> None:
    format_path, labels_path, predictions_path = sys.argv[1:4]
    started = time.perf_counter()
    cpu_started = time.process_time()
    fmt = pd.read_csv(format_path, dtype={"id": str})
    labels = pd.read_csv(labels_path, dtype={"id": str, "usage": str})
    predictions = pd.read_csv(predictions_path, dtype={"id": str})

    if list(predictions.columns) != list(fmt.columns):
        raise SystemExit(f"header {list(predictions.columns)} is not {list(fmt.columns)}")
    ids = pd.Index(fmt["id"])
    if not ids.is_unique:
        raise SystemExit("the submission format repeats ids")
    # The same length, no repeats and no unknown id: exactly the format's ids.
    if len(predictions) != len(ids) or predictions["id"].duplicated().any():
        raise SystemExit("ids missing or repeated")
    if (ids.get_indexer(predictions["id"]) < 0).any():
        raise SystemExit("unknown ids")
    p = predictions["target"].to_numpy(dtype=np.float64)
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise SystemExit("predictions are not probabilities")

    # Index lookups rather than DataFrame.merge: three times faster here, the fairest pandas.
    at = pd.Index(labels["id"]).get_indexer(predictions["id"])
    if (at < 0).any():
        raise SystemExit("labels lack ids")
    y = labels["target"].to_numpy()[at]
    usage = labels["usage"].to_numpy()[at]
    scores = {}
    for part in ("Public", "Private"):
        rows = usage == part
        scores[part.lower()] = {"roc_auc": float(roc_auc_score(y[rows], p[rows])), "log_loss": float(log_loss(y[rows], p[rows]))}
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu_started) * 1000
    print(json.dumps({"ms": elapsed, "cpuMs": cpu, "peak": peak_rss(), **scores}))


main()
