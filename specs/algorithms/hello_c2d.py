"""A tiny C2D algorithm: reads the real v1 layout and writes one output file."""
import json
import os
from pathlib import Path

inputs = Path(os.environ.get("INPUTS", "/data/inputs"))
outputs = Path(os.environ.get("OUTPUTS", "/data/outputs"))
custom = json.loads((inputs / "algoCustomData.json").read_text()) if (inputs / "algoCustomData.json").exists() else {}
dids = json.loads(os.environ.get("DIDS", "[]"))

lines = []
for did in dids:
    for f in sorted((inputs / did).iterdir()):
        lines.append(f"{did}/{f.name}: {f.stat().st_size} bytes")
print("inputs:", *lines, sep="\n  ")
(outputs / "hello.txt").write_text(f"{custom.get('greeting', 'hello')} from C2D: {len(lines)} input file(s)\n")
