"""GitHub Actions workflow commands for diagnostics (`c2d validate --format github`).

A runner reads `::error file=F,line=L,col=C,title=T::MESSAGE` lines from a step's output and
shows them on the pull request's diff. Values must be escaped as the Actions toolkit does
(toolkit/packages/core/src/command.ts): a message cannot hold a raw newline, and a property
value cannot hold the `,` and `:` that separate properties.
"""
from __future__ import annotations

TITLE = "c2d validate"


def escape_data(text: str) -> str:
    """A message escaped for after the `::` (%, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value escaped (as a message, plus `:` and `,`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotation(diagnostic, title: str = TITLE) -> str:
    """`::error file=...,line=...,col=...,title=...::message [path]` for one Diagnostic."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in (
        ("file", diagnostic.file), ("line", diagnostic.line), ("col", diagnostic.col), ("title", title)))
    return f"::error {props}::{escape_data(f'{diagnostic.message} [{diagnostic.path}]')}"
