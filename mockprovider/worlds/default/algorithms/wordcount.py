"""Count the words of every input file and write /data/outputs/wordcount.json (stdlib only).

Runs on both runtime layouts: C2D v1 ($INPUTS/<did-hex>/<index>, DIDS) and Ocean Node's v2
(/data/inputs/<file name>, no variables).
"""
import json
import os
import re

INPUTS = os.environ.get("INPUTS", "/data/inputs")
OUTPUTS = os.environ.get("OUTPUTS", "/data/outputs")
WORD = re.compile(r"[A-Za-z']+")


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


def main():
    files, total, words = {}, 0, {}
    for group, name, path in input_files():
        label = f"{group}/{name}" if group != "inputs" else name
        with open(path, encoding="utf-8", errors="replace") as fh:
            found = [w.lower().strip("'") for w in WORD.findall(fh.read())]
        files[label] = len(found)
        total += len(found)
        for w in found:
            words[w] = words.get(w, 0) + 1
        print(f"wordcount: {label}: {len(found)} words", flush=True)
    top = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    os.makedirs(OUTPUTS, exist_ok=True)
    with open(os.path.join(OUTPUTS, "wordcount.json"), "w", encoding="utf-8") as fh:
        json.dump({"files": files, "total": total, "top": top}, fh, indent=2, sort_keys=True)
    print(f"wordcount: done, {total} words", flush=True)


if __name__ == "__main__":
    main()
