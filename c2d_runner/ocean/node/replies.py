"""A node's error answers as one-line messages, and its 429 wait.

The node answers errors in three shapes: a JSON-encoded string (start routes:
`"Invalid C2D Environment"` with application/json), plain text or HTML (result, logs,
initializeCompute, 429), and a bare 500 `Internal Server Error`, which is how the status and stop
routes report a validation failure (a null stream turned into an exception).
"""
from __future__ import annotations

import json
import re
from typing import Any

_MAX = 500
_TRY_AGAIN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*(second|sec|s|minute|min|m)?", re.IGNORECASE)
BARE_500 = "Internal Server Error"
# What a bare 500 means on routes that use it for validation failures (ocean-node httpRoutes/compute.ts).
_BARE_500_HINT = {
    "computeStatus": "the node refused the status query (it answers a bare 500 when the job id or "
                     "consumer address does not validate)",
    "computeStop": "the node refused the stop (it answers a bare 500 for a bad signature, nonce, job id "
                   "or consumer address)",
}


def error_text(body_text: str, reason: str = "") -> str:
    """The node's own words from an error body: a JSON string, {"error": ...}, or plain text."""
    text = (body_text or "").strip()
    if not text:
        return reason or "empty response"
    try:
        body: Any = json.loads(text)
    except ValueError:
        return _squash(_strip_html(text))
    if isinstance(body, str):
        return _squash(body)
    if isinstance(body, dict) and body.get("error") is not None:
        return _squash(str(body["error"]))
    return _squash(json.dumps(body))


def explain(route: str, status: int | None, detail: str) -> str:
    """A one-line message for a node error, with what it means where the node's words do not say."""
    if status == 500 and detail.strip() == BARE_500 and route in _BARE_500_HINT:
        return f"{_BARE_500_HINT[route]}: {BARE_500}"
    if detail.startswith("Error: "):
        detail = detail[len("Error: "):]  # the free-start path prints String(error)
    return detail


def try_again_seconds(text: str) -> float | None:
    """The wait in a 429 text such as "Rate limit exceeded. Try again in 43 seconds."; None if absent."""
    match = _TRY_AGAIN.search(text or "")
    if not match:
        return None
    seconds = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    return seconds * 60 if unit.startswith("m") else seconds


def _strip_html(text: str) -> str:
    if "<" not in text:
        return text
    pre = re.search(r"<pre>(.*?)</pre>", text, re.IGNORECASE | re.DOTALL)
    return re.sub(r"<[^>]+>", " ", pre.group(1) if pre else text)


def _squash(text: str) -> str:
    return " ".join(text.split())[:_MAX]
