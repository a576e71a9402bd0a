"""Spec files: load YAML with positions, substitute variables, validate, and build the plan."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from c2d_runner.yamldoc.diagnostics import Diagnostic, SpecInvalid
from c2d_runner.spec.model import SpecPlan

__all__ = ["Diagnostic", "SpecInvalid", "SpecPlan", "load_spec", "check_file"]

# The consumer key reference is read when the run starts, never copied into a plan or a record.
_KEEP_LITERAL = frozenset({("consumer", "key")})


def load_spec(path: str | Path, env: Mapping[str, str] | None = None) -> SpecPlan:
    """Load, validate and plan a spec file; raise SpecInvalid listing every problem."""
    from c2d_runner.spec.checks import check_spec
    from c2d_runner.yamldoc.documents import fast_document, parse_document, read_bytes
    from c2d_runner.spec.plan import build_plan

    path = Path(path)
    raw = read_bytes(path)
    doc = fast_document(path, raw, "spec", env=env, keep_literal=_KEEP_LITERAL)
    if doc is not None and not check_spec(doc):
        return build_plan(doc)
    # Something is off (or the document is not plain): the exact loader finds and places it.
    doc, problems = parse_document(path, "spec", env=env, keep_literal=_KEEP_LITERAL, raw=raw)
    reported = {d.path for d in problems}  # say each thing once: the schema's word wins
    problems += [d for d in check_spec(doc) if d.path not in reported]
    if problems:
        raise SpecInvalid(problems)
    return build_plan(doc)


def check_file(path: str | Path, env: Mapping[str, str] | None = None) -> tuple[SpecPlan | None, list[Diagnostic]]:
    """(plan, []) for a valid spec, (None, diagnostics) for an invalid one."""
    try:
        return load_spec(path, env), []
    except SpecInvalid as exc:
        return None, exc.diagnostics
