"""YAML documents with positions: the loader shared by spec files and mock world files.

Pure: parse keeping line:col of every node, substitute `${VAR}`, check a JSON Schema, report
positioned diagnostics, and take a fast path for large plain documents. It knows no spec rules
and nothing of the engine, the client or the mock, so the mock may import it (see the import
contracts in pyproject.toml).
"""
from __future__ import annotations

from c2d_runner.yamldoc.diagnostics import Diagnostic, SpecInvalid, format_path
from c2d_runner.yamldoc.documents import LoadedDocument, fast_document, load_checked, parse_document, read_bytes

__all__ = ["Diagnostic", "SpecInvalid", "LoadedDocument", "format_path", "fast_document", "load_checked",
           "parse_document", "read_bytes"]
