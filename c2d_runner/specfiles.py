"""Which spec files a command line names: files as given, folders searched for specs."""
from __future__ import annotations

import re
from pathlib import Path

from c2d_runner.errors import InvalidInput

SPEC_SUFFIXES = (".yaml", ".yml")
# A spec has a top-level `jobs:`; mock worlds, CI files and other YAML beside it do not.
_JOBS_KEY = re.compile(rb"^jobs\s*:", re.MULTILINE)
_SKIPPED_FOLDERS = ("runs", "node_modules")  # run records and tools' folders hold no specs of the user's


class NoSpecFiles(InvalidInput):
    """A path names no spec file (missing, or a folder without specs)."""


def looks_like_spec(path: Path) -> bool:
    """True for a YAML file with a top-level `jobs:` key (read as bytes, no parsing)."""
    try:
        return path.suffix in SPEC_SUFFIXES and bool(_JOBS_KEY.search(path.read_bytes()))
    except OSError:
        return False


def spec_files(paths) -> list[Path]:
    """The spec files the paths name: a file as given; a folder's spec files, searched below it
    (hidden folders and run folders skipped), sorted. NoSpecFiles for a path that names none."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and looks_like_spec(p)
                           and not any(part.startswith(".") or part in _SKIPPED_FOLDERS
                                       for part in p.relative_to(path).parts[:-1]))
            if not found:
                raise NoSpecFiles(f"{path} holds no spec files (YAML files with a top-level 'jobs:' key)")
            out += found
        else:
            out.append(path)  # a missing file is reported by the loader, positioned like any problem
    return list(dict.fromkeys(out))
