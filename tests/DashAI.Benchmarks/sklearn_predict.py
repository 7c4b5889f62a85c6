#!/usr/bin/python3
"""scikit-learn's counterpart of `DashAI.Benchmarks predict` on the same train/test CSV files.

usage: sklearn_predict.py --train TRAIN.csv --test TEST.csv --label COLUMN --model hgb|logistic

Fits the pipeline of sklearn_files.py once (not timed), saves it with pickle and loads it (load_ms), then 1,000
single-row predict_proba calls after 200 warm-up ones, each on a one-row DataFrame built from a dict of the row's
values (what a Python service does with one JSON row), then the whole test file as one batch: read_csv,
predict_proba, and the input rows plus the label and probability columns written with to_csv (batch_rows_per_s),
the same work as the .NET batch scorer (batch_cpu_rows_per_s: per second of processor time). Prints one JSON line.
Needs Debian's python3-sklearn and python3-pandas.
"""
import argparse
import json
import os
import pickle
import tempfile
import time

import numpy as np
import pandas as pd

from sklearn_files import build_pipeline

WARM_UP = 200
SINGLE_ROWS = 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--model", choices=["hgb", "logistic"], required=True)
    args = parser.parse_args()

    train = pd.read_csv(args.train)
    y = train.pop(args.label)
    model = build_pipeline(args.model, train)
    model.fit(train, y)
    columns = list(train.columns)
    del train

    folder = tempfile.mkdtemp(prefix="dashai-sk-predict-")
    model_path, output_path = os.path.join(folder, "model.pkl"), os.path.join(folder, "predictions.csv")
    with open(model_path, "wb") as file:
        pickle.dump(model, file)
    start = time.perf_counter()
    with open(model_path, "rb") as file:
        model = pickle.load(file)
    load_ms = (time.perf_counter() - start) * 1000

    head = pd.read_csv(args.test, nrows=WARM_UP + SINGLE_ROWS)
    records = head[columns].to_dict(orient="records")
    times = []
    for i, record in enumerate(records):
        start = time.perf_counter()
        probabilities = model.predict_proba(pd.DataFrame([record], columns=columns))
        label = model.classes_[int(np.argmax(probabilities[0]))]
        elapsed = (time.perf_counter() - start) * 1000
        assert label is not None
        if i >= WARM_UP:
            times.append(elapsed)
    times.sort()

    start, cpu_start = time.perf_counter(), time.process_time()
    test = pd.read_csv(args.test)
    probabilities = model.predict_proba(test[columns])
    output = test.copy()
    output["predicted_" + args.label] = model.classes_[np.argmax(probabilities, axis=1)]
    for index, name in enumerate(model.classes_):
        output[f"probability_{name}"] = probabilities[:, index]
    output.to_csv(output_path, index=False)
    batch_seconds = time.perf_counter() - start
    batch_cpu_seconds = time.process_time() - cpu_start
    accuracy = float(np.mean(output["predicted_" + args.label] == test[args.label]))
    os.remove(model_path)
    os.remove(output_path)
    os.rmdir(folder)

    print(json.dumps({"model": args.model, "rows_test": len(test), "load_ms": round(load_ms, 2),
                      "single_row_p50_ms": round(times[len(times) // 2], 4),
                      "single_row_p99_ms": round(times[len(times) * 99 // 100 - 1], 4),
                      "batch_rows_per_s": round(len(test) / batch_seconds),
                      "batch_cpu_rows_per_s": round(len(test) / batch_cpu_seconds),
                      "metrics": {"test": {"accuracy": round(accuracy, 6)}}}))


if __name__ == "__main__":
    main()
