#!/usr/bin/python3
"""cnnfi's exports read by pandas as they are (Debian's python3-pandas).

Runs two small campaigns on the shipped LeNet-5 (incremental, bit-sweep), exports each with
`cnnfi export --trials` (CSV) and `--trials-jsonl`, and checks that pandas.read_csv,
pandas.read_json(lines=True) and pandas.read_sql (on the store itself) load them without any
reshaping: one row per finished trial, the point variables (faults, bit) as numeric columns, the
same rows in both files, and the same counts as the store's results table.

Usage: export_pandas.py CNNFI_BINARY SOURCE_DIR WORKDIR. Exit 77 when pandas is missing.
"""
import os
import sqlite3
import subprocess
import sys

try:
    import pandas as pd
except ImportError as e:  # pragma: no cover
    print("skipped: %s" % e)
    sys.exit(77)


def main():
    binary, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    model = os.path.join(src, "models", "lenet5-fmnist.onnx")
    campaigns = {
        "incremental": ("repetitions: 3\nschedule: [0, 1, 5]\n", "faults"),
        "bit-sweep": ("repetitions: 2\nfaults_per_bit: 2\nbits: 28-31\n", "bit"),
    }
    failures = []
    for kind, (keys, var) in campaigns.items():
        cfg = os.path.join(work, kind + ".yaml")
        db = os.path.join(work, kind + ".db")
        with open(cfg, "w") as f:
            f.write("kind: %s\nmodel: %s\nlimit: 40\nseed: 3\n%s" % (kind, model, keys))
        for path in (db, db + "-wal", db + "-shm", os.path.join(work, kind + ".csv"), os.path.join(work, kind + ".jsonl")):
            if os.path.exists(path):
                os.remove(path)
        r = subprocess.run([binary, "run", cfg, "-o", db], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append("%s: run: %s" % (kind, r.stderr.strip().splitlines()[-1]))
            continue
        csv, jsonl = os.path.join(work, kind + ".csv"), os.path.join(work, kind + ".jsonl")
        r = subprocess.run([binary, "export", db, "--trials", csv, "--trials-jsonl", jsonl], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append("%s: export: %s" % (kind, r.stderr.strip()))
            continue
        a = pd.read_csv(csv)
        b = pd.read_json(jsonl, lines=True)
        con = sqlite3.connect(db)
        results = pd.read_sql("select r.trial, r.images, r.critical, t.point from results r join trials t using (trial) "
                              "order by r.trial", con)
        ok = (len(a) == len(b) == len(results) and list(a.columns) == list(b.columns)
              and var in a.columns and pd.api.types.is_numeric_dtype(a[var]) and pd.api.types.is_numeric_dtype(b[var])
              and (a["trial"].tolist() == results["trial"].tolist())
              and all(abs(x - y) < 1e-12 for x, y in zip(a["critical"], results["critical"] / results["images"]))
              and a[var].tolist() == [float(p.split("=")[1]) for p in results["point"]]
              and a[var].tolist() == b[var].tolist())
        print("%s %s: %d trials, columns %s" % ("ok  " if ok else "FAIL", kind, len(a), ", ".join(a.columns)))
        if not ok:
            failures.append(kind)
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
