"""`${VAR}` and `${VAR:-default}` substitution in string values, after YAML parsing.

Substituting after parsing means a value is never re-read as YAML: `${N}` with N=100 gives the
text "100", and a variable holding `{a: 1}` cannot inject structure. `$${` writes a literal `${`.
"""
from __future__ import annotations

import re
from typing import Mapping

from c2d_runner.errors import InvalidInput

_REF = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?")


class MissingVariable(InvalidInput, ValueError):
    """A referenced environment variable is not set and has no default."""


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Replace every `${VAR}` / `${VAR:-default}` in one string; raise on missing or malformed ones."""
    if "${" not in text:
        return text

    def one(match: re.Match) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default, bad = match.group(1), match.group(2), match.group(3)
        if name is None:
            raise ValueError(f"malformed variable reference '${{{bad}'; write ${{NAME}} or ${{NAME:-default}}")
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise MissingVariable(f"environment variable {name!r} is not set (set it, or write ${{{name}:-default}})")

    return _REF.sub(one, text)


def _all_text(data) -> str:
    import json

    return json.dumps(data, default=str)


def substitute_tree(data: object, env: Mapping[str, str], skip: frozenset = frozenset(), path: tuple = ()):
    """Substitute in every string of a parsed document; yields (path, error) pairs for failures.

    Returns (new_data, errors). Paths in `skip` are left as written (e.g. the consumer key
    reference, which is read at run time and must never be copied into a plan).
    """
    errors: list[tuple[tuple, str]] = []
    if "${" not in _all_text(data):
        return data, errors

    def walk(value, where):
        if where in skip:
            return value
        if isinstance(value, str):
            try:
                return substitute(value, env)
            except ValueError as exc:
                errors.append((where, str(exc)))
                return value
        if isinstance(value, dict):
            return {k: walk(v, where + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, where + (i,)) for i, v in enumerate(value)]
        return value

    return walk(data, path), errors
