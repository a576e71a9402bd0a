"""Per-column statistics of every CSV input, written to /data/outputs/stats.json (stdlib only).

Runs on both runtime layouts: C2D v1 (inputs at $INPUTS/<did-hex>/<file index>, DIDS = JSON
list of did hexes) and Ocean Node's v2 (inputs flat at /data/inputs/<file name>, no variables).
Custom data at /data/inputs/algoCustomData.json, e.g. {"columns": ["sepal_length"], "precision": 3}.
"""
import csv
import json
import math
import os
import statistics

INPUTS = os.environ.get("INPUTS", "/data/inputs")
OUTPUTS = os.environ.get("OUTPUTS", "/data/outputs")


def input_files():
    """(group, name, path) of every input file, in either runtime layout.

    C2D v1 (the Provider's pods) sets DIDS and puts files at $INPUTS/<did>/<index>; Ocean Node
    (C2D v2) sets no variables and puts them flat at /data/inputs/<file name>, beside
    algoCustomData.json.
    """
    if "DIDS" in os.environ:
        for did in json.loads(os.environ["DIDS"] or "[]"):
            folder = os.path.join(INPUTS, did)
            names = sorted(os.listdir(folder), key=lambda n: (len(n), n)) if os.path.isdir(folder) else []
            for name in names:
                yield did, name, os.path.join(folder, name)
    elif os.path.isdir(INPUTS):
        for name in sorted(os.listdir(INPUTS)):
            path = os.path.join(INPUTS, name)
            if name != "algoCustomData.json" and os.path.isfile(path):
                yield "inputs", name, path


def load_custom_data():
    path = os.path.join(INPUTS, "algoCustomData.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh) or {}


def number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def column_stats(values, precision):
    numbers = [n for n in (number(v) for v in values) if n is not None]
    if numbers and len(numbers) == len(values):
        return {
            "count": len(numbers),
            "mean": round(statistics.fmean(numbers), precision),
            "stdev": round(statistics.stdev(numbers), precision) if len(numbers) > 1 else 0.0,
            "min": min(numbers),
            "median": round(statistics.median(numbers), precision),
            "max": max(numbers),
        }
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    top = max(sorted(counts), key=counts.get) if counts else None
    return {"count": len(values), "distinct": len(counts), "top": top}


def file_stats(path, wanted, precision):
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2 or len(rows[0]) < 2:
        return {"skipped": "not a CSV table with a header row"}
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    columns = {}
    for i, name in enumerate(header):
        if wanted and name not in wanted:
            continue
        columns[name] = column_stats([r[i] for r in body], precision)
    return {"rows": len(body), "columns": columns}


def main():
    custom = load_custom_data()
    wanted = set(custom.get("columns") or [])
    precision = int(custom.get("precision", 3))
    report = {}
    for group, name, path in input_files():
        report.setdefault(group, {})[name] = file_stats(path, wanted, precision)
        print(f"stats: {group}/{name}", flush=True)
    os.makedirs(OUTPUTS, exist_ok=True)
    with open(os.path.join(OUTPUTS, "stats.json"), "w", encoding="utf-8") as fh:
        json.dump({"datasets": report, "precision": precision}, fh, indent=2, sort_keys=True)
    print("stats: done", flush=True)


if __name__ == "__main__":
    main()
