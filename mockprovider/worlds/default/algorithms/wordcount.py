"""Count the words of every input file and write $OUTPUTS/wordcount.json (stdlib only)."""
import json
import os
import re

INPUTS = os.environ.get("INPUTS", "/data/inputs")
OUTPUTS = os.environ.get("OUTPUTS", "/data/outputs")
WORD = re.compile(r"[A-Za-z']+")


def main():
    dids = json.loads(os.environ.get("DIDS", "[]"))
    files, total, words = {}, 0, {}
    for did in dids:
        folder = os.path.join(INPUTS, did)
        for name in sorted(os.listdir(folder), key=lambda n: (len(n), n)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
                found = [w.lower().strip("'") for w in WORD.findall(fh.read())]
            files[f"{did}/{name}"] = len(found)
            total += len(found)
            for w in found:
                words[w] = words.get(w, 0) + 1
            print(f"wordcount: {did}/{name}: {len(found)} words", flush=True)
    top = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    os.makedirs(OUTPUTS, exist_ok=True)
    with open(os.path.join(OUTPUTS, "wordcount.json"), "w", encoding="utf-8") as fh:
        json.dump({"files": files, "total": total, "top": top}, fh, indent=2, sort_keys=True)
    print(f"wordcount: done, {total} words", flush=True)


if __name__ == "__main__":
    main()
