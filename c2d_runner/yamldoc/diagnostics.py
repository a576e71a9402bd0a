"""Diagnostics: one problem in a spec or world file, with where it is and what was expected."""
from __future__ import annotations

from dataclasses import dataclass

from c2d_runner.errors import InvalidInput


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: `file:line:col: error: message [path]` (line and column are 1-based)."""

    file: str
    line: int
    col: int
    message: str
    path: str = "$"

    def format(self) -> str:
        """The one-line form editors and CI logs understand."""
        return f"{self.file}:{self.line}:{self.col}: error: {self.message} [{self.path}]"

    def as_dict(self) -> dict:
        """A JSON-ready mapping (for `--format json`)."""
        return {"file": self.file, "line": self.line, "col": self.col, "message": self.message, "path": self.path}


class SpecInvalid(InvalidInput):
    """A spec or world file has problems; `.diagnostics` lists all of them, sorted by position."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics))
        super().__init__("\n".join(d.format() for d in self.diagnostics) or "invalid file")


def format_path(path: tuple) -> str:
    """A JSON path such as `jobs.gpr.expect.outputs[0].sha256` ("$" for the root)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "$"
