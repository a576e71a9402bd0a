"""Domain errors of the mock Ocean: each declares its HTTP status, JSON body and headers.

Handlers raise them; `app.py` serialises every one of them in a single place, so the error
shapes of the real Provider / operator-service / Aquarius live here and nowhere else.
"""
from __future__ import annotations

from typing import Any


class MockError(Exception):
    """An error answered to the client as JSON with a fixed status.

    Not a C2DError: it never leaves the mock as an exception, only as an HTTP answer.
    """

    status = 400

    def __init__(self, body: Any, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(body if isinstance(body, str) else repr(body))
        self.body = body
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})

    def json_body(self) -> Any:
        """The JSON document sent back to the client."""
        return self.body


class RouteError(MockError):
    """The Provider's `error_response`: `{"error": "<text>"}` or `{"error": {"<resource>": "<code>"}}`."""

    def __init__(self, error: Any, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__({"error": error}, status, headers)
        self.error = error


class ResourceError(RouteError):
    """A start / initializeCompute validation failure such as `{"error": {"order": "order_invalid"}}`."""

    def __init__(self, resource: str, code: str, status: int = 400):
        super().__init__({resource: code}, status)
        self.resource = resource
        self.code = code


class ValidationError(MockError):
    """flask-sieve's 400 body: `{"errors": {field: [msg] | msg}, "message": "Validation error", "success": false}`."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__({"errors": errors, "message": "Validation error", "success": False}, 400)
        self.errors = errors


class GlobalError(MockError):
    """The global handler's body for HTTP errors and crashes: `{"error": str, "context": request data}`."""

    def __init__(self, error: str, status: int = 503, context: Any = None):
        super().__init__({"error": error, "context": context if context is not None else {}}, status)


class AquariusError(MockError):
    """Aquarius error bodies (`{"error": ...}`, or a list / `{"errors": ...}` for validate)."""


def required(field: str) -> ValidationError:
    """flask-sieve's message for a missing required field."""
    return ValidationError({field: [f"The {field} field is required."]})


def not_a_number(field: str) -> ValidationError:
    """flask-sieve's message for a field that must be numeric."""
    return ValidationError({field: [f"The {field} must be a number."]})


def not_an_integer(field: str) -> ValidationError:
    """flask-sieve's message for a field that must be an integer."""
    return ValidationError({field: [f"The {field} must be an integer."]})
