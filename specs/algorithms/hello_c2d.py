"""A tiny C2D algorithm: lists its inputs and writes one output file.

It reads either runtime layout: C2D v1 (DIDS set, files at $INPUTS/<did>/<index>) or Ocean
Node's v2 (no variables, files flat at /data/inputs/<file name>).
"""
import json
import os
from pathlib import Path

inputs = Path(os.environ.get("INPUTS", "/data/inputs"))
outputs = Path(os.environ.get("OUTPUTS", "/data/outputs"))
custom_file = inputs / "algoCustomData.json"
custom = json.loads(custom_file.read_text()) if custom_file.exists() else {}

if "DIDS" in os.environ:
    files = [f for did in json.loads(os.environ["DIDS"]) for f in sorted((inputs / did).iterdir())]
else:
    files = [f for f in sorted(inputs.iterdir()) if f.is_file() and f != custom_file]
lines = [f"{f.relative_to(inputs)}: {f.stat().st_size} bytes" for f in files]
print("inputs:", *lines, sep="\n  ")
(outputs / "hello.txt").write_text(f"{custom.get('greeting', 'hello')} from C2D: {len(lines)} input file(s)\n")
