"""Parity probe: writes what the algorithm sees to /data/outputs/probe.json (stdlib only).

Run on the mock's v2 runtime and on a real Ocean Node with the same request; the two probe.json
files must be identical.  Everything recorded is deterministic on both: values a runtime picks at
random (HOSTNAME) are reduced to their shape, and nothing names the interpreter's own path or
version, which belong to the image rather than to the node.
"""
import errno
import hashlib
import json
import os
import re
import socket
import stat
import sys

DATA = "/data"


def shape(name, value):
    """A variable's value, or its shape when a runtime chooses it at random."""
    if name == "HOSTNAME" and re.fullmatch(r"[0-9a-f]{12}", value):
        return "<12 hex>"
    return value


def entry(path):
    """Mode, size, sha256 and writability of one file, without following links."""
    st = os.lstat(path)
    item = {"mode": oct(stat.S_IMODE(st.st_mode)), "writable": os.access(path, os.W_OK)}
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as fh:
            item["sha256"] = hashlib.sha256(fh.read()).hexdigest()
        item["size"] = st.st_size
    elif stat.S_ISDIR(st.st_mode):
        item["kind"] = "dir"
    else:
        item["kind"] = "other"
    return item


def listing(folder, detail):
    """Sorted names in a folder, with details for the ones asked for."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        return {"error": errno.errorcode.get(exc.errno, str(exc.errno))}
    return {n: entry(os.path.join(folder, n)) if detail else None for n in names}


def connect(host, port):
    """The errno name of a TCP connect, or 'connected'."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(3)
    try:
        sock.connect((host, port))
        return "connected"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, type(exc).__name__) if exc.errno else type(exc).__name__
    finally:
        sock.close()


def main():
    with open(os.path.join(DATA, "inputs", "algoCustomData.json"), encoding="utf-8") as fh:
        custom_text = fh.read()
    report = {
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "uid": os.getuid(),
        "gid": os.getgid(),
        "env": {k: shape(k, v) for k, v in sorted(os.environ.items())},
        "data": {"mode": oct(stat.S_IMODE(os.stat(DATA).st_mode)), "folders": listing(DATA, False)},
        "folder_modes": {n: oct(stat.S_IMODE(os.stat(os.path.join(DATA, n)).st_mode))
                         for n in ("inputs", "transformations", "ddos", "outputs", "logs")},
        "inputs": listing(os.path.join(DATA, "inputs"), True),
        "algoCustomData": custom_text,
        "transformations": listing(os.path.join(DATA, "transformations"), True),
        "ddos": listing(os.path.join(DATA, "ddos"), False),
        "logs": listing(os.path.join(DATA, "logs"), False),
        "network": {"loopback_18000": connect("127.0.0.1", 18000),
                    "bridge_10_88_0_1": connect("10.88.0.1", 18000)},
    }
    text = json.dumps(report, indent=1, sort_keys=True)
    os.makedirs(os.path.join(DATA, "outputs", "sub"), exist_ok=True)
    with open(os.path.join(DATA, "outputs", "probe.json"), "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    with open(os.path.join(DATA, "outputs", "sub", "nested.txt"), "w", encoding="utf-8") as fh:
        fh.write("nested\n")
    print(text, flush=True)
    print("probe: done", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
