#!/usr/bin/python3
"""scikit-learn's counterpart of `DashAI.Benchmarks train` on the same train/test CSV files.

usage: sklearn_files.py --train TRAIN.csv --test TEST.csv --label COLUMN --model hgb|logistic

Numbers as they are (HistGradientBoosting) or standardized (LogisticRegression); text columns as
categories (ordinal codes marked categorical for HistGradientBoosting, one-hot for LogisticRegression).
Prints one JSON line: fit seconds (one fit), test accuracy and the process's peak resident memory,
which includes pandas holding both files, as a user of scikit-learn would.
Needs Debian's python3-sklearn and python3-pandas.
"""
import argparse
import json
import resource
import time

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler


def build_pipeline(kind, train):
    """The pipeline for a frame of input columns: text columns as categories, numbers as they are or standardized."""
    categorical = [c for c in train.columns if train[c].dtype == object]
    numeric = [c for c in train.columns if c not in categorical]
    if kind == "hgb":
        encode = make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), categorical),
            remainder="passthrough")
        mask = [True] * len(categorical) + [False] * len(numeric)
        return make_pipeline(encode, HistGradientBoostingClassifier(categorical_features=mask, random_state=0))
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical), (StandardScaler(), numeric))
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--model", choices=["hgb", "logistic"], required=True)
    args = parser.parse_args()

    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    y, y_test = train.pop(args.label), test.pop(args.label)
    model = build_pipeline(args.model, train)

    start = time.perf_counter()
    model.fit(train, y)
    fit_seconds = time.perf_counter() - start
    accuracy = accuracy_score(y_test, model.predict(test))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"model": args.model, "rows_train": len(train), "fit_seconds": round(fit_seconds, 4),
                      "accuracy": round(accuracy, 6), "peak_memory_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
