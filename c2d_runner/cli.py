"""The `c2d` command line: thin click commands over the library.

Heavy imports (requests, eth-account, the mock) happen inside the commands that need them, so
`c2d --help` and `c2d validate` start fast.
"""
from __future__ import annotations

import json
import sys

import click

from c2d_runner import __version__, exitcodes

EXIT_CODES_HELP = """\b
Exit codes:
  0  all passed (all files valid)
  1  a job failed or an expectation did not hold
  2  invalid spec or usage; nothing was started
  3  provider, Aquarius or mock unreachable or misbehaving"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="c2d")
def main() -> None:
    """Run Ocean Compute-to-Data jobs from YAML specs, against real providers or the bundled mock."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one 'file:line:col: error: message [path]' line per problem; json: a list of objects.")
def validate(files: tuple[str, ...], fmt: str) -> None:
    """Check spec files (schema and semantic rules) without running anything.

    Prints every problem, sorted by position; exits 0 when all files are valid, 2 otherwise.
    """
    from c2d_runner.spec import check_file

    results = []
    for name in files:
        plan, problems = check_file(name)
        results.append((name, plan, problems))
    if fmt == "json":
        click.echo(json.dumps([{"file": name, "valid": not problems, "jobs": len(plan.jobs) if plan else 0,
                                "problems": [d.as_dict() for d in problems]} for name, plan, problems in results],
                              indent=2))
    else:
        for name, plan, problems in results:
            for d in problems:
                click.echo(d.format())
            if plan is not None:
                click.echo(f"{name}: ok ({len(plan.jobs)} job{'s' if len(plan.jobs) != 1 else ''})")
        bad = [p for _, _, p in results if p]
        if bad:
            count = sum(len(p) for p in bad)
            click.echo(f"{count} problem{'s' if count != 1 else ''} in {len(bad)} of {len(results)} "
                       f"file{'s' if len(results) != 1 else ''}", err=True)
    sys.exit(exitcodes.INVALID if any(p for _, _, p in results) else exitcodes.OK)


@main.group()
def mock() -> None:
    """The bundled mock Ocean (mock Aquarius + mock Provider)."""


@mock.command("serve")
@click.option("--world", type=click.Path(exists=True, dir_okay=False), default=None,
              help="World file (YAML); default: the bundled default world.")
@click.option("--port", type=click.IntRange(0, 65535), default=8030, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless told otherwise).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Where jobs, nonces, orders and results persist; default: a temporary folder removed at exit.")
@click.option("--faults", type=click.Choice(["none", "flaky", "slow", "stuck", "failing", "missing-result"]), default=None,
              help="Fault profile (default: the world's, else none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault profile's decisions.")
def serve(world: str | None, port: int, host: str, state_dir: str | None, faults: str | None, seed: int) -> None:
    """Run the mock Ocean (Provider + Aquarius at one URL) in the foreground until Ctrl-C / SIGTERM."""
    import signal
    import threading

    from mockprovider import MockOcean, WorldInvalid

    try:
        server = MockOcean(world=world, state_dir=state_dir, faults=faults, host=host, port=port, seed=seed)
        server.start()
    except WorldInvalid as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exitcodes.INVALID)
    except OSError as exc:
        click.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(exitcodes.INFRASTRUCTURE)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    click.echo(f"mock Ocean ready at {server.url} (Provider and Aquarius; chain {server.chain_id}, "
               f"faults {server.profile.name})")
    for asset in server.assets.values():
        click.echo(f"  {asset.name:<12} {asset.kind:<9} {asset.did}")
    kind, warning = server.sandbox
    click.echo(f"algorithms run in sandbox: {kind}" + (f" (WARNING: {warning})" if warning else ""))
    sys.stdout.flush()
    while not done.wait(0.5):
        pass
    click.echo("stopping the mock Ocean")
    server.stop()


if __name__ == "__main__":
    main()
