#!/usr/bin/python3
"""Compare DashAI's permutation feature importance with scikit-learn's permutation_importance.

For each case, writes the train/test files as compare_sklearn.py does (same split, same synthetic set), then
alternates the two sides (DashAI, scikit-learn, DashAI, scikit-learn, ... --rounds times) so load from other work
on the machine falls on both. DashAI: `DashAI.Benchmarks explain` (fit untimed; `seconds` is the importance:
drawing max_samples rows of the test file and scoring every shuffle). scikit-learn: the counterpart pipeline of
compare_sklearn.py fitted on the train file (untimed), then `permutation_importance` on the test file with the
same n_repeats, max_samples, random_state and scoring, timed alone (pandas has already read the file). Prints the
Spearman rank correlation of the two importance vectors, the overlap of the top-k columns, and the median seconds
of each side; writes every figure as JSON lines to OUT/explain.jsonl.

Needs Debian's python3-sklearn and python3-pandas; run with /usr/bin/python3 after
`dotnet build tests/DashAI.Benchmarks -c Release`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from compare_sklearn import CLASSIFICATION, DATA, HERE, REFERENCE, REGRESSION, synthetic, write_splits

# name -> (model, n_repeats, max_samples, top-k compared)
CASES = {
    "diabetes": ("RidgeRegressor", 5, 10_000, 5),
    "synthetic_classification": ("LogisticRegression", 5, 10_000, 7),
}


def ranks(values):
    order = np.argsort(values, kind="stable")
    result = np.empty(len(values))
    sorted_values = np.asarray(values)[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        result[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def run_dashai(bench, train, test, label, task, model, repeats, max_samples, seed):
    command = bench + ["explain", "--train", train, "--test", test, "--label", label, "--task", task, "--model", model,
                       "--explainer", "pfi", "--repeats", str(repeats), "--max-samples", str(max_samples), "--seed", str(seed)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_sklearn(train, test, label, task, model, repeats, max_samples, seed):
    regression = task == "RegressionTask"
    counterpart, factory = (REGRESSION if regression else CLASSIFICATION)[model]
    train_frame, test_frame = pd.read_csv(train), pd.read_csv(test)
    y_train, y_test = train_frame.pop(label), test_frame.pop(label)
    fitted = factory().fit(train_frame, y_train)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = permutation_importance(fitted, test_frame, y_test, scoring="r2" if regression else "accuracy",
                                    n_repeats=repeats, random_state=seed,
                                    max_samples=min(max_samples, len(test_frame)))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    importances = dict(zip(test_frame.columns, result.importances_mean.tolist()))
    return {"counterpart": counterpart, "seconds": round(seconds, 4), "cpu_seconds": round(cpu_seconds, 4),
            "importances": importances}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/dashai-bench")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", default=os.path.join(HERE, "bin", "Release", "net10.0", "DashAI.Benchmarks.dll"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench = ["dotnet", args.bench]
    results = open(os.path.join(args.out, "explain.jsonl"), "a", encoding="utf-8")
    synthetic_frames = None
    for name in filter(None, args.cases.split(",")):
        model, repeats, max_samples, top = CASES[name]
        if name in REFERENCE:
            file, label, task = REFERENCE[name]
            frame = pd.read_csv(os.path.join(DATA, file))
        else:
            synthetic_frames = synthetic_frames or synthetic(250_000)
            frame, label, task = synthetic_frames[0], "label", "TabularClassificationTask"
        train, test = write_splits(args.out, name, frame, label, task)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(run_dashai(bench, train, test, label, task, model, repeats, max_samples, args.seed))
            theirs.append(run_sklearn(train, test, label, task, model, repeats, max_samples, args.seed))
        columns = list(theirs[0]["importances"])
        a = [ours[0]["importances"][c] for c in columns]
        b = [theirs[0]["importances"][c] for c in columns]
        top_ours = sorted(columns, key=lambda c: -ours[0]["importances"][c])[:top]
        top_theirs = sorted(columns, key=lambda c: -theirs[0]["importances"][c])[:top]
        record = {
            "case": name, "model": model, "counterpart": theirs[0]["counterpart"], "rows_test": len(pd.read_csv(test)),
            "repeats": repeats, "max_samples": max_samples, "seed": args.seed,
            "spearman": round(spearman(a, b), 4), "top": top, "top_overlap": len(set(top_ours) & set(top_theirs)),
            "top_dashai": top_ours, "top_sklearn": top_theirs,
            "seconds_dashai": [o["seconds"] for o in ours], "seconds_sklearn": [t["seconds"] for t in theirs],
            "scoring_seconds_dashai": [o["scoring_seconds"] for o in ours],
            "cpu_seconds_dashai": [o["cpu_seconds"] for o in ours],
            "cpu_seconds_sklearn": [t["cpu_seconds"] for t in theirs],
            "importances_dashai": ours[0]["importances"], "importances_sklearn": theirs[0]["importances"],
        }
        results.write(json.dumps(record) + "\n")
        results.flush()
        print(f"{name}: {model} vs {record['counterpart']}: Spearman {record['spearman']:.3f}, "
              f"top-{top} overlap {record['top_overlap']}/{top}, seconds median DashAI "
              f"{statistics.median(record['seconds_dashai']):.3f} vs scikit-learn "
              f"{statistics.median(record['seconds_sklearn']):.3f} (rounds {record['seconds_dashai']} / {record['seconds_sklearn']})",
              flush=True)
    results.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
