#!/usr/bin/env python3
"""The pandas baseline for the ingest benchmark: read_csv, stratified 80/10/10 split, three CSVs.

usage: /usr/bin/python3 pandas_ingest.py --csv PATH --label COLUMN
Prints the same JSON line as `DashAI.Benchmarks ingest`. Uses only pandas and numpy (Debian's
python3-pandas); the stratified split is the per-class shuffle scikit-learn's would do.
"""
import argparse
import json
import os
import resource
import shutil
import tempfile
import time

import numpy as np
import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--csv", required=True)
parser.add_argument("--label", required=True)
args = parser.parse_args()

out = tempfile.mkdtemp(prefix="pandas-ingest-")
try:
    start = time.perf_counter()
    df = pd.read_csv(args.csv)
    rng = np.random.default_rng(42)
    split = np.empty(len(df), dtype=np.int8)
    for _, index in df.groupby(args.label, sort=True).indices.items():
        index = rng.permutation(index)
        n_train = int(round(len(index) * 0.8))
        n_val = int(round(len(index) * 0.1))
        split[index[:n_train]] = 0
        split[index[n_train:n_train + n_val]] = 1
        split[index[n_train + n_val:]] = 2
    for code, name in enumerate(["train", "validation", "test"]):
        df[split == code].to_csv(os.path.join(out, name + ".csv"), index=False)
    seconds = time.perf_counter() - start
    size = os.path.getsize(args.csv)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": len(df), "bytes": size, "seconds": round(seconds, 3),
                      "mb_per_s": round(size / 1e6 / seconds, 1), "peak_memory_mb": round(peak_mb, 1)}))
finally:
    shutil.rmtree(out, ignore_errors=True)
