#!/usr/bin/python3
"""Optuna's counterpart of `DashAI.Benchmarks hpo`: TPE tuning scikit-learn's HistGradientBoosting.

usage:
  optuna_hpo.py splits OUT            write digits, breast_cancer and a 50,000-row synthetic set as 60/20/20
                                      train/validation/test CSV files under OUT/<name>/
  optuna_hpo.py search --train T --validation V --test X --label COLUMN --task TASK --trials N [--seed S]

`search` tunes HistGradientBoosting (learning_rate 0.01-0.3 log, max_leaf_nodes 8-128, min_samples_leaf
5-100, l2_regularization 1e-6-10 log, max_iter 50-500; every other setting scikit-learn's default) with
Optuna's TPE sampler (seeded), trials one after another, each fitted on train and scored on validation; then
refits the best parameters on train and scores test. Prints one JSON line like `hpo`: the task's main
metric (accuracy or R^2), the wall time of reading the splits, the search and the refit, and the best
parameters. Needs Debian's python3-optuna, python3-sklearn and python3-pandas (run with /usr/bin/python3).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "samples"))


def write_splits(out):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(n_samples=50_000, n_features=20, n_informative=10, n_redundant=4,
                               n_classes=3, class_sep=1.0, random_state=0)
    synthetic = pd.DataFrame(x.round(6), columns=[f"f{i}" for i in range(20)])
    synthetic["label"] = np.array(["a", "b", "c"])[y]
    sets = {
        "digits": (pd.read_csv(os.path.join(DATA, "digits.csv")), "digit"),
        "breast_cancer": (pd.read_csv(os.path.join(DATA, "breast_cancer.csv")), "diagnosis"),
        "synthetic50k": (synthetic, "label"),
    }
    for name, (frame, label) in sets.items():
        # 60/20/20, stratified on the label, fixed seed: both searches read these very files.
        train, rest = train_test_split(frame, test_size=0.4, random_state=0, stratify=frame[label])
        validation, test = train_test_split(rest, test_size=0.5, random_state=0, stratify=rest[label])
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        for split, part in (("train", train), ("validation", validation), ("test", test)):
            part.to_csv(os.path.join(folder, split + ".csv"), index=False)
        print(json.dumps({"set": name, "label": label, "train": len(train), "validation": len(validation), "test": len(test)}))


def search(args):
    import optuna
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    frames = [pd.read_csv(path) for path in (args.train, args.validation, args.test)]
    ys = [frame.pop(args.label) for frame in frames]
    (x_train, x_valid, x_test), (y_train, y_valid, y_test) = frames, ys
    regression = args.task == "RegressionTask"
    categorical = [c for c in x_train.columns if x_train[c].dtype == object]
    for column in categorical:
        codes = {value: i for i, value in enumerate(sorted(x_train[column].dropna().unique()))}
        for frame in frames:
            frame[column] = frame[column].map(codes).astype(float)
    mask = [c in categorical for c in x_train.columns] if categorical else None

    def build(params):
        cls = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
        return cls(categorical_features=mask, random_state=args.seed, **params)

    def score(model, x, y):
        return r2_score(y, model.predict(x)) if regression else accuracy_score(y, model.predict(x))

    def objective(trial):
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 8, 128),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 5, 100),
            "l2_regularization": trial.suggest_float("l2_regularization", 1e-6, 10, log=True),
            "max_iter": trial.suggest_int("max_iter", 50, 500),
        }
        return score(build(params).fit(x_train, y_train), x_valid, y_valid)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=args.seed))
    study.optimize(objective, n_trials=args.trials)
    refit = build(study.best_params).fit(x_train, y_train)
    test = score(refit, x_test, y_test)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "model": "HistGradientBoosting" + ("Regressor" if regression else "Classifier"),
        "sampler": "Optuna TPE " + optuna.__version__,
        "trials": len(study.trials),
        "seconds": round(seconds, 3),
        "metric": "r2" if regression else "accuracy",
        "best_validation": round(study.best_value, 6),
        "test": round(test, 6),
        "best_parameters": study.best_params,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    splits = commands.add_parser("splits")
    splits.add_argument("out")
    run = commands.add_parser("search")
    run.add_argument("--train", required=True)
    run.add_argument("--validation", required=True)
    run.add_argument("--test", required=True)
    run.add_argument("--label", required=True)
    run.add_argument("--task", default="TabularClassificationTask")
    run.add_argument("--trials", type=int, default=30)
    run.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.command == "splits":
        write_splits(args.out)
    else:
        search(args)


if __name__ == "__main__":
    sys.exit(main())
