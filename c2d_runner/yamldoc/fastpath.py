"""A fast path for large, plain, valid documents; the exact loader decides everything else.

PyYAML composition (even with libyaml) costs about 5 microseconds per node, so a 10,000-job spec
takes most of a second before any checking starts; jsonschema then costs as much again.
rapidyaml parses and emits JSON in a few milliseconds and fastjsonschema checks compiled code, so
a plain document is loaded and checked an order of magnitude faster.

The two parsers differ (rapidyaml follows YAML 1.2, PyYAML 1.1: `yes`, `0x1F`, `1_000`, `~`;
rapidyaml drops some escapes), so this path only *accepts*: it answers None for anything that
could read differently (tags, anchors, merge keys, escapes, several documents, text that PyYAML
would type as a number, boolean or null, duplicate keys) and for any schema failure. The caller
then runs the exact loader, which alone produces diagnostics. Tests compare both paths.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

# Below this size the exact loader is fast enough (milliseconds), so small files never take
# the second parser at all.
FAST_PATH_MIN_BYTES = 32 * 1024

# Bytes after which the document may read differently in the two parsers.
_UNSAFE_BYTES = (b"!", b"&", b"*", b"<<", b"---", b"...", b"\t", b"\\", b"%", b"\r", b"\x00",
                 # Unicode line breaks (NEL, LS, PS) and a BOM: PyYAML folds or drops them in places.
                 b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xef\xbb\xbf")
# PyYAML 1.1's implicit resolvers for non-string plain scalars (SafeLoader): if a string from the
# fast parser matches one of these, PyYAML might have read a number, boolean or null instead.
_NOT_TEXT = re.compile(r"""^(?:
    yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N
  | ~|null|Null|NULL|
  | [-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)
  | [-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+][0-9]+)?
  | \.[0-9_]+(?:[eE][-+][0-9]+)?
  | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
  | [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
  | =
)$""", re.X)
_YAML_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?$")
_YAML_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")


class _Differs(Exception):
    """The fast parser met something it does not read like the exact loader: hand over to it.

    Control flow only, never seen by a user, so not a C2DError.
    """


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out or _NOT_TEXT.match(key):
            raise _Differs
        out[key] = value
    return out


def _float(text: str) -> float:
    if not _YAML_FLOAT.match(text):
        raise _Differs
    return float(text)


def _int(text: str) -> int:
    if not _YAML_INT.match(text):
        raise _Differs
    return int(text)


def _constant(text: str):
    raise _Differs


def _all_text_plain(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _NOT_TEXT.match(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


# rapidyaml's C++ core prints parse errors to file descriptor 2 before raising, and its Python
# binding offers no way to redirect them. Redirecting fd 2 in this process would silence every
# thread (a served mock, a test runner) while it parses, so the parse runs in a child process whose
# stderr is captured and dropped: the exact loader reports the problem properly. The child costs
# about one interpreter start (~0.1 s), small beside the seconds the exact loader takes at this size.
_CHILD = ("import sys, ryml\n"
          "tree = ryml.parse_in_arena(sys.stdin.buffer.read())\n"
          "out = ryml.emit_json_malloc(tree, tree.root_id())\n"
          "sys.stdout.buffer.write(out.encode('utf-8') if isinstance(out, str) else bytes(out))\n")


def _rapidyaml_json(raw: bytes) -> bytes | None:
    """rapidyaml's JSON rendering of `raw` (parsed in a child process), or None when it cannot parse it."""
    if importlib.util.find_spec("ryml") is None:
        return None
    try:
        child = subprocess.run([sys.executable, "-c", _CHILD], input=raw, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return child.stdout if child.returncode == 0 else None


def fast_yaml(raw: bytes) -> object | None:
    """The data of a large plain YAML mapping document, or None when the exact loader must read it."""
    if len(raw) < FAST_PATH_MIN_BYTES or any(token in raw for token in _UNSAFE_BYTES):
        return None
    try:
        raw.decode("utf-8")
        emitted = _rapidyaml_json(raw)
        if emitted is None:
            return None
        data = json.loads(emitted, object_pairs_hook=_pairs, parse_float=_float, parse_int=_int,
                          parse_constant=_constant)
    except Exception:  # not UTF-8, _Differs, bad JSON: all mean "ask PyYAML"
        return None
    if not isinstance(data, dict) or not _all_text_plain(data):
        return None
    return data
