#!/usr/bin/python3
"""Compare DashAI's ML.NET models with their scikit-learn counterparts on the same splits.

Writes train/test CSV files (canonical CSV: header, comma, RFC 4180 quoting, '.' decimals) for the
reference datasets and, with --synthetic, for 200,000-row synthetic sets; fits each scikit-learn
counterpart with the benchmark timing rule (under 50,000 rows: warm-up fit, then median of 3;
otherwise one fit); runs `DashAI.Benchmarks train` on the same files; prints a table and writes
every figure as JSON lines to OUT/results.jsonl.

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
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union
from sklearn.compose import make_column_transformer
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "samples"))  # the repository's reference datasets
SINGLE_FIT_ROWS = 50_000

# name -> (file, label column, task)
REFERENCE = {
    "iris": ("iris.csv", "species", "TabularClassificationTask"),
    "wine": ("wine.csv", "cultivar", "TabularClassificationTask"),
    "breast_cancer": ("breast_cancer.csv", "diagnosis", "TabularClassificationTask"),
    "digits": ("digits.csv", "digit", "TabularClassificationTask"),
    "diabetes": ("diabetes.csv", "progression", "RegressionTask"),
    "package_sections": ("package_sections.csv", "section", "TextClassificationTask"),
}


def hgb_classifier():
    return HistGradientBoostingClassifier(random_state=0)


def rf_classifier():
    return RandomForestClassifier(random_state=0)


def scaled_logistic():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def scaled_svc():
    return make_pipeline(StandardScaler(), LinearSVC(random_state=0))


def tfidf_logistic(text_columns):
    # Word uni/bi-grams and character tri-grams per text column, like the ML.NET featurization.
    parts = []
    for column in text_columns:
        parts.append((TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), column))
        parts.append((TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), sublinear_tf=True), column))
    return make_pipeline(make_column_transformer(*parts), LogisticRegression(max_iter=1000, C=10))


# DashAI model -> (scikit-learn counterpart name, factory)
CLASSIFICATION = {
    "LightGbmClassifier": ("HistGradientBoostingClassifier", hgb_classifier),
    "FastTreeClassifier": ("HistGradientBoostingClassifier", hgb_classifier),
    "FastForestClassifier": ("RandomForestClassifier", rf_classifier),
    "LogisticRegression": ("StandardScaler+LogisticRegression", scaled_logistic),
    "SdcaMaximumEntropy": ("StandardScaler+LogisticRegression", scaled_logistic),
    "LinearSvm": ("StandardScaler+LinearSVC", scaled_svc),
}
REGRESSION = {
    "LightGbmRegressor": ("HistGradientBoostingRegressor", lambda: HistGradientBoostingRegressor(random_state=0)),
    "FastTreeRegressor": ("HistGradientBoostingRegressor", lambda: HistGradientBoostingRegressor(random_state=0)),
    "FastForestRegressor": ("RandomForestRegressor", lambda: RandomForestRegressor(random_state=0)),
    "RidgeRegressor": ("StandardScaler+Ridge", lambda: make_pipeline(StandardScaler(), Ridge())),
    "SdcaRegressor": ("StandardScaler+Ridge", lambda: make_pipeline(StandardScaler(), Ridge())),
    "OnlineGradientDescentRegressor": ("StandardScaler+Ridge", lambda: make_pipeline(StandardScaler(), Ridge())),
}


def write_splits(out, name, frame, label, task, seed=0):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    stratify = frame[label] if task != "RegressionTask" else None
    train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=stratify)
    paths = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return paths


def synthetic(rows):
    x, y = make_classification(n_samples=rows, n_features=20, n_informative=10, n_redundant=4,
                               n_classes=3, class_sep=1.0, random_state=0)
    classification = pd.DataFrame(x.round(6), columns=[f"f{i}" for i in range(20)])
    classification["label"] = np.array(["a", "b", "c"])[y]
    x, y = make_regression(n_samples=rows, n_features=20, n_informative=10, noise=20, random_state=0)
    regression = pd.DataFrame(x.round(6), columns=[f"f{i}" for i in range(20)])
    # A non-linear term so trees and linear models differ, as in real data.
    regression["target"] = (y + 30 * np.sin(x[:, 0] * 2)).round(6)
    return classification, regression


def timed_fit(factory, x, y):
    """Wall seconds and process CPU seconds (every thread) of the fit, by the benchmark rule."""
    fits = 4 if len(x) < SINGLE_FIT_ROWS else 1
    times, cpu_times, model = [], [], None
    for _ in range(fits):
        model = factory()
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(x, y)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    timed = sorted(times[1:]) if fits > 1 else times
    cpu_timed = sorted(cpu_times[1:]) if fits > 1 else cpu_times
    return model, statistics.median(timed), statistics.median(cpu_timed)


def run_dotnet(bench, train, test, label, task, model):
    command = bench + ["train", "--train", train, "--test", test, "--label", label, "--task", task, "--model", model]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return {"error": (result.stderr or result.stdout).strip()[-400:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/dashai-bench")
    parser.add_argument("--datasets", default=",".join(REFERENCE))
    parser.add_argument("--models", default="", help="comma-separated DashAI model names (default: all)")
    parser.add_argument("--synthetic", action="store_true", help="also the 200,000-row synthetic sets")
    parser.add_argument("--synthetic-only", action="store_true")
    parser.add_argument("--bench", default=os.path.join(HERE, "bin", "Release", "net10.0", "DashAI.Benchmarks.dll"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench = ["dotnet", args.bench]
    wanted = set(filter(None, args.models.split(",")))

    jobs = []  # (dataset name, frame, label, task)
    if not args.synthetic_only:
        for name in filter(None, args.datasets.split(",")):
            file, label, task = REFERENCE[name]
            jobs.append((name, pd.read_csv(os.path.join(DATA, file)), label, task))
    if args.synthetic or args.synthetic_only:
        classification, regression = synthetic(250_000)
        jobs.append(("synthetic_classification", classification, "label", "TabularClassificationTask"))
        jobs.append(("synthetic_regression", regression, "target", "RegressionTask"))

    results = open(os.path.join(args.out, "results.jsonl"), "a", encoding="utf-8")
    print(f"{'dataset':26} {'model':30} {'metric':8} {'ml.net':>8} {'sklearn':>8} {'diff':>7} "
          f"{'fit_s':>8} {'sk_fit_s':>8} {'cpu_s':>7} {'sk_cpu_s':>8}  counterpart", flush=True)
    for name, frame, label, task in jobs:
        train_path, test_path = write_splits(args.out, name, frame, label, task)
        train, test = pd.read_csv(train_path), pd.read_csv(test_path)
        x_train, y_train = train.drop(columns=[label]), train[label]
        x_test, y_test = test.drop(columns=[label]), test[label]
        regression = task == "RegressionTask"
        pairs = REGRESSION if regression else CLASSIFICATION
        sklearn_cache = {}
        for model, (counterpart, factory) in pairs.items():
            if wanted and model not in wanted:
                continue
            if task == "TextClassificationTask":
                text_columns = [c for c in x_train.columns if x_train[c].dtype == object]
                x_train, x_test = x_train.fillna(""), x_test.fillna("")
                counterpart, factory = "TF-IDF+LogisticRegression", (lambda cols=text_columns: tfidf_logistic(cols))
            if counterpart not in sklearn_cache:
                fitted, seconds, cpu_seconds = timed_fit(factory, x_train, y_train)
                predicted = fitted.predict(x_test)
                score = r2_score(y_test, predicted) if regression else accuracy_score(y_test, predicted)
                sklearn_cache[counterpart] = (score, seconds, cpu_seconds)
            sk_score, sk_seconds, sk_cpu_seconds = sklearn_cache[counterpart]
            dotnet = run_dotnet(bench, train_path, test_path, label, task, model)
            metric = "r2" if regression else "accuracy"
            ours = dotnet.get("metrics", {}).get("test", {}).get(metric)
            record = {"dataset": name, "model": model, "counterpart": counterpart, "metric": metric,
                      "sklearn": round(sk_score, 4), "sklearn_fit_seconds": round(sk_seconds, 4),
                      "sklearn_fit_cpu_seconds": round(sk_cpu_seconds, 4), "dashai": dotnet}
            results.write(json.dumps(record) + "\n")
            results.flush()
            if ours is None:
                print(f"{name:26} {model:30} {metric:8} ERROR {dotnet.get('error', '')}", flush=True)
                continue
            print(f"{name:26} {model:30} {metric:8} {ours:8.4f} {sk_score:8.4f} {ours - sk_score:+7.4f} "
                  f"{dotnet['fit_seconds']:8.3f} {sk_seconds:8.3f} {dotnet.get('fit_cpu_seconds', float('nan')):7.3f} "
                  f"{sk_cpu_seconds:8.3f}  {counterpart}", flush=True)
    results.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
