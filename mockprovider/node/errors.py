"""The node's error answers: three shapes, chosen per route as Ocean Node does (reference §1).

- start routes (`freeCompute`, paid `compute`): `res.status(code).json(message)`, a JSON string;
- results, logs, initializeCompute and the DDO routes: `res.status(code).send(message)`, which express
  sends as `text/html; charset=utf-8`;
- status and stop: any failure is a bare 500 `Internal Server Error` (the route reads a null stream).
"""
from __future__ import annotations

from mockprovider.http import Reply, TextReply

HTML = "text/html; charset=utf-8"
INTERNAL = "Internal Server Error"


class NodeError(Exception):
    """An error a node handler answers with; `reply()` is what goes on the wire."""

    def __init__(self, status: int, message: str, shape: str = "text"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.shape = shape  # "json" | "text"

    def reply(self) -> Reply | TextReply:
        """The wire answer of this error."""
        if self.shape == "json":
            return Reply(self.message, self.status)
        return TextReply(self.message, self.status, HTML)


def json_error(status: int, message: str) -> NodeError:
    """A start route's error: the message as a JSON string."""
    return NodeError(status, message, "json")


def text_error(status: int, message: str) -> NodeError:
    """A results / logs / initialize / DDO route's error: the message as text/html."""
    return NodeError(status, message, "text")


def internal() -> NodeError:
    """Status and stop routes: every failure is a bare 500."""
    return NodeError(500, INTERNAL, "text")


def missing_fields(field: str, command: str, required: tuple[str, ...]) -> str:
    """validateCommandParameters' text for the first missing field."""
    return (f'Missing one ( "{field}" ) or more required field(s) for command: "{command}". '
            f"Required fields: {','.join(required)}")
