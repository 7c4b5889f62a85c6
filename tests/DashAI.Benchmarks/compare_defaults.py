#!/usr/bin/python3
"""Two parameter settings of one DashAI model over repeated random splits, with scikit-learn's counterpart.

usage:
  compare_defaults.py --a JSON --b JSON [--splits N] [--out DIR] [--datasets iris,wine,...]

For each reference dataset (the same ones as compare_sklearn.py; LightGbmClassifier for classification,
LightGbmRegressor for regression) and each of N seeded 80/20 splits (stratified for classification), fits
`DashAI.Benchmarks train` with parameters A and with parameters B and HistGradientBoosting with scikit-learn's
defaults, and prints per dataset the mean test accuracy (R^2) of each and on how many splits B beat or lost to A.
One split of a small set moves in steps of one test row; many splits show whether a change of defaults helps.
Needs Debian's python3-sklearn and python3-pandas; run with /usr/bin/python3 after
`dotnet build tests/DashAI.Benchmarks -c Release`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

from compare_sklearn import CLASSIFICATION, DATA, HERE, REFERENCE, REGRESSION, write_splits


def run(bench, train_path, test_path, label, task, model, parameters):
    result = subprocess.run(bench + ["train", "--train", train_path, "--test", test_path, "--label", label,
                                     "--task", task, "--model", model, "--params", parameters, "--fits", "1"],
                            capture_output=True, text=True, check=True)
    metrics = json.loads(result.stdout.strip().splitlines()[-1])["metrics"]["test"]
    return metrics["r2"] if task == "RegressionTask" else metrics["accuracy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="parameters A (JSON)")
    parser.add_argument("--b", required=True, help="parameters B (JSON)")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--out", default="/tmp/dashai-defaults")
    parser.add_argument("--datasets", default="iris,wine,breast_cancer,digits,diabetes")
    parser.add_argument("--bench", default=os.path.join(HERE, "bin", "Release", "net10.0", "DashAI.Benchmarks.dll"))
    args = parser.parse_args()
    bench = ["dotnet", args.bench]
    print(f"{'dataset':16} {'scikit-learn':>12} {'A':>8} {'B':>8} {'B>A':>4} {'B<A':>4}", flush=True)
    for name in filter(None, args.datasets.split(",")):
        file, label, task = REFERENCE[name]
        regression = task == "RegressionTask"
        model = "LightGbmRegressor" if regression else "LightGbmClassifier"
        frame = pd.read_csv(os.path.join(DATA, file))
        rows = []
        counterpart = (REGRESSION if regression else CLASSIFICATION)[model][1]
        for split in range(1, args.splits + 1):
            paths = write_splits(args.out, os.path.join(name, str(split)), frame, label, task, seed=split)
            train, test = (pd.read_csv(path) for path in paths)
            predicted = counterpart().fit(train.drop(columns=[label]), train[label]).predict(test.drop(columns=[label]))
            sklearn = r2_score(test[label], predicted) if regression else accuracy_score(test[label], predicted)
            rows.append((sklearn, run(bench, *paths, label, task, model, args.a), run(bench, *paths, label, task, model, args.b)))
        means = [statistics.mean(r[i] for r in rows) for i in range(3)]
        print(f"{name:16} {means[0]:12.4f} {means[1]:8.4f} {means[2]:8.4f} {sum(r[2] > r[1] for r in rows):4} "
              f"{sum(r[2] < r[1] for r in rows):4}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
