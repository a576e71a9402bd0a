"""Read a dotenv-style file: KEY=VALUE lines for `c2d --env-file` (pure apart from reading the file)."""
from __future__ import annotations

from pathlib import Path

from c2d_runner.errors import InvalidInput


class EnvFileError(InvalidInput, ValueError):
    """A line of an env file is not KEY=VALUE."""


def parse_env(text: str, name: str = "env file") -> dict[str, str]:
    """KEY=VALUE per line; blank lines and # comments skipped, `export ` allowed, one pair of
    matching quotes around a value removed. No expansion: a value is taken as written."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise EnvFileError(f"{name}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    return out


def read_env_file(path: str | Path) -> dict[str, str]:
    """The variables of an env file (OSError when it cannot be read, EnvFileError on a bad line)."""
    return parse_env(Path(path).read_text(encoding="utf-8"), str(path))
