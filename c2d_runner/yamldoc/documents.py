"""Read a YAML document from disk: parse with positions, substitute variables, check the schema."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from c2d_runner.yamldoc.diagnostics import Diagnostic, SpecInvalid, format_path
from c2d_runner.yamldoc.envsubst import substitute_tree
from c2d_runner.yamldoc.schema import check_schema, schema_ok
from c2d_runner.yamldoc.yamlpos import Positions, load_yaml


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed, substituted and schema-valid document with the positions of its nodes."""

    path: Path
    data: object
    positions: Positions
    sha256: str

    def position(self, path: tuple, *, key: bool = False) -> tuple[int, int]:
        """Line and column of a JSON path (its key when `key`)."""
        return self.positions.of(tuple(path), key=key)

    def diagnostic(self, path: tuple, message: str, *, key: bool = False) -> Diagnostic:
        """A diagnostic about the node at `path`."""
        line, col = self.position(path, key=key)
        return Diagnostic(str(self.path), line, col, message, format_path(tuple(path)))


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or SpecInvalid saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SpecInvalid([Diagnostic(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]) from None


def fast_document(path: Path, raw: bytes, schema: str, *, env: Mapping[str, str] | None = None,
                  keep_literal: frozenset = frozenset()) -> LoadedDocument | None:
    """The document through the fast path when it is plain and schema-valid, else None.

    Its positions are empty: it is only used when nothing is wrong with it.
    """
    from c2d_runner.yamldoc.fastpath import fast_yaml

    data = fast_yaml(raw)
    if data is None:
        return None
    data, failures = substitute_tree(data, os.environ if env is None else env, keep_literal)
    if failures or not schema_ok(data, schema):
        return None
    return LoadedDocument(Path(path), data, Positions(), hashlib.sha256(raw).hexdigest())


def parse_document(path: Path, schema: str, *, env: Mapping[str, str] | None = None,
                   keep_literal: frozenset = frozenset(), raw: bytes | None = None,
                   ) -> tuple[LoadedDocument, list[Diagnostic]]:
    """Parse and substitute a document exactly, returning it with its schema problems (maybe none).

    Raises SpecInvalid only when there is no document to look at (unreadable, not YAML).
    `keep_literal` lists paths left unsubstituted.
    """
    path = Path(path)
    raw = read_bytes(path) if raw is None else raw
    filename = str(path)
    data, positions = load_yaml(raw, filename)
    data, failures = substitute_tree(data, os.environ if env is None else env, keep_literal)
    problems = [Diagnostic(filename, *positions.of(where), message, format_path(where)) for where, message in failures]
    problems += check_schema(data, positions, schema, filename)
    return LoadedDocument(path, data, positions, hashlib.sha256(raw).hexdigest()), problems


def load_checked(path: Path, schema: str, *, env: Mapping[str, str] | None = None,
                 keep_literal: frozenset = frozenset()) -> LoadedDocument:
    """Parse, substitute `${VAR}`s and check against the named schema ('spec' or 'world').

    Raises SpecInvalid with every problem found.
    """
    raw = read_bytes(Path(path))
    doc = fast_document(path, raw, schema, env=env, keep_literal=keep_literal)
    if doc is not None:
        return doc
    doc, problems = parse_document(path, schema, env=env, keep_literal=keep_literal, raw=raw)
    if problems:
        raise SpecInvalid(problems)
    return doc
