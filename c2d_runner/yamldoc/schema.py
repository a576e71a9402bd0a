"""Check data against the project's JSON Schemas and turn failures into positioned diagnostics."""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources

from c2d_runner.yamldoc.diagnostics import Diagnostic, format_path
from c2d_runner.yamldoc.yamlpos import Positions

SCHEMAS = {"spec": "job-spec.schema.json", "world": "world.schema.json"}
_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", int: "an integer",
               float: "a number", type(None): "null"}
_SCHEMA_TYPES = {"object": "a mapping", "array": "a list", "string": "text", "boolean": "a boolean",
                 "integer": "an integer", "number": "a number", "null": "null"}


@lru_cache(maxsize=None)
def load_schema(kind: str) -> dict:
    """The JSON Schema for 'spec' or 'world', read from the installed package."""
    text = resources.files("c2d_runner").joinpath("schemas", SCHEMAS[kind]).read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator(kind: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(kind))


@lru_cache(maxsize=None)
def _definition_validator(kind: str, definition: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$defs": load_schema(kind)["$defs"], "$ref": f"#/$defs/{definition}"})


def definition_problems(value: object, kind: str, definition: str) -> list[tuple[str, tuple]]:
    """(message, path within `value`) for each way `value` fails the schema's `$defs/<definition>`."""
    out = []
    for error in _definition_validator(kind, definition).iter_errors(value):
        found = _unknown_keys(error) if error.validator == "additionalProperties" else \
            [_property_name_error(error) or _message(error)]
        out += [(message, path) for message, path, _ in found]
    return out


def _describe(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error) -> tuple[str, tuple, bool]:
    """(message, path, point-at-key) for one jsonschema error."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind, value = error.validator, error.instance
    if kind in ("oneOf", "anyOf") and error.context and "x-error" not in schema:
        return _message(_closest_branch_error(error))
    if "x-error" in schema and kind not in ("required", "additionalProperties", "type"):
        got = f" (got {_show(value)})" if not isinstance(value, (dict, list)) else ""
        return f"{schema['x-error']}{got}", path, False
    if kind == "type":
        wanted = error.validator_value
        wanted = " or ".join(_SCHEMA_TYPES[w] for w in (wanted if isinstance(wanted, list) else [wanted]))
        return f"expected {wanted}, got {_describe(value)}", path, False
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return f"missing required key {missing[0]!r}", path, bool(path)
    if kind == "additionalProperties":
        raise AssertionError("handled by _unknown_keys")
    if kind == "const":
        return f"must be {_show(error.validator_value)}, got {_show(value)}", path, False
    if kind == "enum":
        allowed = ", ".join(_show(v) for v in error.validator_value)
        return f"must be one of {allowed}, got {_show(value)}", path, False
    if kind in ("minProperties", "minItems", "minLength"):
        return "must not be empty", path, False
    if kind in ("minimum", "exclusiveMinimum"):
        op = ">=" if kind == "minimum" else ">"
        return f"must be {op} {error.validator_value}, got {_show(value)}", path, False
    return error.message, path, False


def _closest_branch_error(error):
    """The most telling error of a failed oneOf/anyOf: from the branch the value nearly matches.

    Branches that fail on the value's type (or a const) are not what the user meant; among the
    rest the one with the fewest errors wins, and within it the deepest error.
    """
    branches: dict = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    def shape_mismatch(errors):
        return any(e.validator in ("type", "const", "enum") and not e.relative_path for e in errors)
    candidates = [b for b in branches.values() if not shape_mismatch(b)] or list(branches.values())
    best = min(candidates, key=len)
    return max(best, key=lambda e: len(e.absolute_path))


def _unknown_keys(error) -> list[tuple[str, tuple, bool]]:
    schema = error.schema
    known = list(schema.get("properties", {}))
    out = []
    for key in error.instance:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of {', '.join(known)}" if known else "")
        out.append((f"unknown key {key!r}{hint}", tuple(error.absolute_path) + (key,), True))
    return out


def _property_name_error(error) -> tuple[str, tuple, bool] | None:
    if "propertyNames" not in error.schema_path:
        return None
    return f"bad name {error.instance!r}: {error.schema.get('x-error', error.message)}", \
        tuple(error.absolute_path) + (error.instance,), True


def check_schema(data: object, positions: Positions, kind: str, filename: str) -> list[Diagnostic]:
    """Every schema problem in `data`, each at the line and column of the value (or key) concerned."""
    out: list[Diagnostic] = []
    for error in _validator(kind).iter_errors(data):
        if error.validator == "additionalProperties":
            found = _unknown_keys(error)
        else:
            found = [_property_name_error(error) or _message(error)]
        for message, path, at_key in found:
            line, col = positions.of(path, key=at_key)
            out.append(Diagnostic(filename, line, col, message, format_path(path)))
    return out
