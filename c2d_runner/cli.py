"""The `c2d` command line: thin click commands over the library."""
from __future__ import annotations

import click

from c2d_runner import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="c2d")
def main() -> None:
    """Run Ocean Compute-to-Data jobs from YAML specs, against real providers or the bundled mock."""


@main.group()
def mock() -> None:
    """The bundled mock Ocean (mock Aquarius + mock Provider)."""
