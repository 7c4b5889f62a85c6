#!/usr/bin/env python3
"""Writes the ingest benchmark's CSV: N rows, 20 numeric columns (10 float, 10 integer),
2 categorical columns and a 3-class label, about 150 bytes a row.

usage: gen_ingest_csv.py OUT.csv [ROWS]   (default 1,000,000 rows, ~150 MB)
Standard library only, seeded, so every run writes the same file.
"""
import random
import sys

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = random.Random(7)
colors = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"]
cities = ["Santiago", "Lima", "Bogota", "Quito", "Caracas", "La Paz", "Asuncion", "Montevideo",
          "Buenos Aires", "Brasilia", "Panama", "San Jose"]
labels = ["alpha", "beta", "gamma"]
weights = [0.5, 0.3, 0.2]

with open(out, "w", newline="") as f:
    header = [f"f{i}" for i in range(10)] + [f"n{i}" for i in range(10)] + ["color", "city", "label"]
    f.write(",".join(header) + "\n")
    lines = []
    for r in range(rows):
        floats = [f"{rng.gauss(0, 100):.3f}" for _ in range(10)]
        ints = [str(rng.randrange(0, 100000)) for _ in range(10)]
        label = rng.choices(labels, weights)[0]
        lines.append(",".join(floats + ints + [rng.choice(colors), rng.choice(cities), label]))
        if len(lines) == 10000:
            f.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        f.write("\n".join(lines) + "\n")
