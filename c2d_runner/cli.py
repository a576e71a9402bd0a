"""The `c2d` command line: thin click commands over the library.

Heavy imports (requests, eth-account, the mock) happen inside the commands that need them, so
`c2d --help` and `c2d validate` start fast.
"""
from __future__ import annotations

import json
from decimal import Decimal
import os
import sys
import traceback
from pathlib import Path

import click

from c2d_runner import __version__, exitcodes

EXIT_CODES_HELP = """\b
Exit codes:
  0  all passed (all files valid)
  1  a job failed or an expectation did not hold
  2  invalid spec, world file or usage; nothing was started
  3  provider, Aquarius or mock unreachable, answering 5xx, or not Ocean
An internal error (a bug) prints its traceback and exits 1;
--debug adds the traceback of every error, and of internal errors inside jobs."""
DEBUG = "c2d.debug"  # ctx.meta key


class _Main(click.Group):
    """The `c2d` group: translates the project's errors once, for every command."""

    def invoke(self, ctx: click.Context):
        """Run the command; a C2DError becomes `Error: <message>` and its exit code."""
        from c2d_runner.errors import C2DError

        try:
            return super().invoke(ctx)
        except C2DError as exc:
            # Anything else is a bug and keeps its traceback (click lets it through).
            if ctx.meta.get(DEBUG):
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="c2d")
@click.option("--verbose", "-v", is_flag=True, help="Show each HTTP call (signatures and keys redacted).")
@click.option("--debug", is_flag=True, help="Show tracebacks: of every error, and of internal errors inside jobs.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, debug: bool) -> None:
    """Run Ocean Compute-to-Data jobs from YAML specs, against real providers or the bundled mock."""
    import logging

    ctx.meta[DEBUG] = debug
    _log_to_stderr(ctx, logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)


def _log_to_stderr(ctx: click.Context, level: int) -> None:
    """The library's records on stderr until exit: retries (WARNING) always, each HTTP call (INFO)
    with -v, an internal error's traceback inside a job (DEBUG) with --debug."""
    import logging

    logger = logging.getLogger("c2d_runner")
    handler = logging.StreamHandler(sys.stderr)  # click's, under CliRunner
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if level == logging.DEBUG
                                           else "c2d: %(message)s"))
    level, logger.level = logger.level, level
    logger.addHandler(handler)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    ctx.call_on_close(restore)


def _variables(env_files: tuple[str, ...], assignments: tuple[str, ...]) -> None:
    """Export --env-file and --var variables to this process, as a shell would (later ones win), so
    `${VAR}` in specs and `consumer.key: ${VAR}` both see them."""
    from c2d_runner.envfile import EnvFileError, read_env_file

    found: dict[str, str] = {}
    for name in env_files:
        try:
            found.update(read_env_file(name))
        except (OSError, EnvFileError) as exc:
            raise click.BadParameter(str(exc), param_hint="--env-file") from None
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--var")
        found[key] = value
    os.environ.update(found)


def variable_options(func):
    """--var and --env-file, for every command that reads specs."""
    func = click.option("--env-file", "env_files", multiple=True, type=click.Path(dir_okay=False),
                        help="Read KEY=VALUE lines (# comments, 'export ' and quotes allowed) as variables "
                             "for ${VAR}; repeatable.")(func)
    return click.option("--var", "assignments", multiple=True, metavar="KEY=VALUE",
                        help="Set a variable for ${VAR} in specs (wins over --env-file and the environment); "
                             "repeatable.")(func)


@main.command(short_help="Check spec files without running anything.")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text: one 'file:line:col: error: message [path]' line per problem; json: a list of objects; "
                   "github: GitHub Actions '::error' annotations.")
@variable_options
def validate(files: tuple[str, ...], fmt: str, assignments, env_files) -> None:
    """Check spec files (schema and semantic rules) without running anything; a folder's specs are
    searched below it.

    Prints every problem, sorted by position; exits 0 when all files are valid, 2 otherwise.
    """
    from c2d_runner.spec import Diagnostic, check_file
    from c2d_runner.specfiles import spec_files

    _variables(env_files, assignments)
    results = []
    for name in map(str, spec_files(files)):
        plan, problems = check_file(name)
        results.append((name, plan, problems))
    if fmt == "json":
        click.echo(json.dumps([{"file": name, "valid": not problems, "jobs": len(plan.jobs) if plan else 0,
                                "problems": [d.as_dict() for d in problems]} for name, plan, problems in results],
                              indent=2))
    else:
        if fmt == "github":
            from c2d_runner.github_annotations import error_annotation as line_of
        else:
            line_of = Diagnostic.format
        for name, plan, problems in results:
            for d in problems:
                click.echo(line_of(d))
            if plan is not None:
                click.echo(f"{name}: ok ({len(plan.jobs)} job{'s' if len(plan.jobs) != 1 else ''})")
        bad = [p for _, _, p in results if p]
        if bad:
            count = sum(len(p) for p in bad)
            click.echo(f"{count} problem{'s' if count != 1 else ''} in {len(bad)} of {len(results)} "
                       f"file{'s' if len(results) != 1 else ''}", err=True)
    sys.exit(exitcodes.INVALID if any(p for _, _, p in results) else exitcodes.OK)


@main.command(short_help="Scaffold a project: world, algorithm, spec, test.")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files of the scaffold that already exist.")
def init(directory: str, force: bool) -> None:
    """Create a small project in DIRECTORY: a mock world, an algorithm, a spec and a test.

    It passes `c2d validate`, `c2d run` and `pytest` as written. Existing files are never
    overwritten without --force (exit 2, nothing written).
    """
    from c2d_runner.scaffold import scaffold

    written = scaffold(directory, force=force)
    for path in written:
        click.echo(f"wrote {path}")
    where = "" if directory == "." else f"cd {directory} && "
    click.echo(f"next: {where}c2d run specs/summary.c2d.yaml && pytest")


class DurationParam(click.ParamType):
    """A duration such as 30s, 10m or 1h30m."""

    name = "duration"

    def convert(self, value, param, ctx):
        from c2d_runner.spec.durations import parse_duration

        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _load(spec: str):
    """The spec's plan, or its diagnostics and exit 2."""
    from c2d_runner.spec import check_file

    plan, problems = check_file(spec)
    if problems:
        for d in problems:
            click.echo(d.format(), err=True)
        sys.exit(exitcodes.INVALID)
    return plan


def _target(value: str | None, chain_id: int | None):
    if value is None:
        return None
    from c2d_runner.connect import TargetError, parse_target

    try:
        return parse_target(value, chain_id)
    except TargetError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from None


def _rpc_url(ctx, param, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter(f"must be an http:// or https:// JSON-RPC URL, got {value!r}")
    return value.rstrip("/") if value else None


def _with_rpc(target, rpc: str | None):
    """The target paying for compute on the chain at --rpc; only a real provider's (a mock pays on its own chain)."""
    from dataclasses import replace

    from c2d_runner.spec.model import RemoteTarget

    if rpc is None:
        return target
    if not isinstance(target, RemoteTarget):
        raise click.UsageError("--rpc needs a real provider (--target URL, or target: {provider: URL} in the "
                               "spec); a mock pays on its own local chain (target: {mock: null, chain: true})")
    return replace(target, rpc=rpc)


RPC_HELP = ("JSON-RPC URL of the assets' chain: pay for compute there with the consumer's key (orders with the "
            "provider's fee). Overrides the target's rpc. Public RPC URLs often hold an API key: use $VAR.")
TARGET_HELP = ("Where to run, overriding the spec: mock, mock:WORLD.yaml, an Ocean Node URL, "
               "PROVIDER_URL[,AQUARIUS_URL], or a target named in c2d.toml / [tool.c2d] of pyproject.toml.")


def _load_all(specs: tuple[str, ...]) -> list:
    """The plans of every spec the arguments name (folders searched), or every problem of them all and exit 2."""
    from c2d_runner.spec import check_file
    from c2d_runner.specfiles import spec_files

    plans, bad = [], False
    for path in spec_files(specs):
        plan, problems = check_file(path)
        for d in problems:
            click.echo(d.format(), err=True)
        bad = bad or bool(problems)
        plans.append(plan)
    if bad:
        sys.exit(exitcodes.INVALID)
    return plans


def _mock_overrides(target, faults: str | None, seed: int | None):
    """The target with --faults / --seed applied; they only make sense for a mock."""
    from dataclasses import replace

    from c2d_runner.spec.model import MockTarget

    if faults is None and seed is None:
        return target
    if not isinstance(target, MockTarget):
        raise click.UsageError("--faults and --seed need a mock target")
    return replace(target, faults=faults if faults is not None else target.faults,
                   seed=seed if seed is not None else target.seed)


def runs_exit_code(outcomes) -> int:
    """0 when every run passed; 3 when the failed ones failed only for want of a service; else 1."""
    bad = [o for o in outcomes if not o.ok]
    if not bad:
        return exitcodes.OK
    return exitcodes.INFRASTRUCTURE if all(o.infrastructure_failure for o in bad) else exitcodes.FAILED


FAULTS = ["none", "flaky", "slow", "stuck", "failing", "missing-result"]


@main.command(short_help="Run specs' jobs and check their expectations.")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--target", help=TARGET_HELP)
@click.option("--chain-id", type=int, help="Chain id of the assets, with an Ocean Provider --target (an Ocean Node needs none).")
@click.option("--rpc", callback=_rpc_url, metavar="URL", help=RPC_HELP)
@click.option("--jobs", "-j", "parallel", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Jobs in flight at once.")
@click.option("--only", multiple=True, metavar="JOB", help="Run only this job (or matrix job); repeatable.")
@click.option("--out", type=click.Path(file_okay=False), default="runs", show_default=True,
              help="Runs go to OUT/<spec name>/<run id>/.")
@click.option("--junit", type=click.Path(dir_okay=False), help="Write a JUnit XML report (one case per job).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the JSON report ('-' for stdout).")
@click.option("--lock", is_flag=True, help="After a passing run, write SPEC's lock file (<spec>.lock.json).")
@click.option("--check", is_flag=True, help="Fail when outputs differ from the lock file.")
@click.option("--timeout", type=DurationParam(), help="Override every job's timeout, e.g. 5m.")
@click.option("--resume", type=click.Path(exists=True, file_okay=False), metavar="RUN_FOLDER",
              help="Continue an interrupted run: finished jobs are kept, started ones are found again.")
@click.option("--fail-fast", "-x", is_flag=True,
              help="After the first job that does not pass, start no more jobs (or specs); running ones finish.")
@click.option("--all-logs", is_flag=True,
              help="Fetch the infrastructure's logs (configuration, image, publish) of jobs that pass too; "
                   "by default only jobs that do not pass get them.")
@click.option("--faults", type=click.Choice(FAULTS), help="The mock's fault profile, overriding the spec's.")
@click.option("--seed", type=int, help="Seed of the mock's fault profile, overriding the spec's.")
@click.option("--max-spend", type=click.FloatRange(min=0), default=None, metavar="AMOUNT",
              help="On a target with a chain: refuse to start a run whose provider fees and Ocean Node Escrow "
                   "locks (as `c2d plan` estimates them) exceed AMOUNT in any one fee token, in whole tokens "
                   "(2.5 = 2.5 OCEAN; datatokens and gas not counted); nothing is paid.")
@click.option("--no-order-reuse", is_flag=True,
              help="Order for every job on its own; by default jobs on the Provider protocol share an order "
                   "(one per dataset and algorithm) while the provider still takes it.")
@variable_options
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def run(specs, target, chain_id, rpc, parallel, only, out, junit, json_path, lock, check, timeout, resume, fail_fast,
        all_logs, faults, seed, max_spend, no_order_reuse, assignments, env_files, quiet):
    """Run the jobs of each SPEC (a file, or a folder of specs) and check their expectations.

    By default a spec runs on the bundled mock Ocean, started in-process on a loopback port:
    no chain, no Docker, no account. Results and logs are streamed to the run folder. Several
    specs run one after the other, with one summary and one report.
    """
    from c2d_runner.connect import run_spec
    from c2d_runner.engine.runner import RunOptions
    from c2d_runner.interrupts import cancel_on_signals
    from c2d_runner.report import ConsoleProgress, write_json, write_junit

    _variables(env_files, assignments)
    plans = _load_all(specs)
    if len(plans) > 1 and (resume or lock or check or only):
        raise click.UsageError("--resume, --lock, --check and --only take a single spec")
    chosen = _target(target, chain_id)
    outcomes = []
    with cancel_on_signals() as cancel:  # Ctrl-C / SIGTERM: the run stops its remote jobs, records, exits 1
        for plan in plans:
            options = RunOptions(target=_mock_overrides(_with_rpc(chosen or plan.target, rpc), faults, seed),
                                 jobs=parallel,
                                 only=tuple(only), out=Path(out), timeout=timeout,
                                 resume=Path(resume) if resume else None, lock=lock, check=check, cancel=cancel,
                                 fail_fast=fail_fast, all_logs=all_logs, order_reuse=not no_order_reuse,
                                 max_spend=Decimal(str(max_spend)) if max_spend is not None else None)
            outcomes.append(run_spec(plan, options, ConsoleProgress(mode="quiet" if quiet else "auto")))
            if cancel.is_set() or (fail_fast and not outcomes[-1].ok):
                break
    if lock:
        from c2d_runner.engine.lock import lock_path

        click.echo(f"lock: wrote {lock_path(plans[0].path)}" if outcomes[0].ok else
                   f"lock: {lock_path(plans[0].path).name} not written: the run did not pass", err=True)
    if len(plans) > 1:
        click.echo(_runs_summary(outcomes, len(plans)), err=True)
    report = outcomes[0] if len(plans) == 1 else outcomes
    if junit:
        write_junit(report, junit)
    if json_path:
        write_json(report, json_path)
    sys.exit(runs_exit_code(outcomes))


def _runs_summary(outcomes, specs: int) -> str:
    from c2d_runner.report._text import outcome_counts

    totals = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for outcome in outcomes:
        for key, count in outcome_counts(outcome).items():
            totals[key] += count
    ran = f"{len(outcomes)} of {specs} specs run" if len(outcomes) < specs else f"{specs} specs"
    verdict = "PASSED" if all(o.ok for o in outcomes) and len(outcomes) == specs else "FAILED"
    return (f"{ran}: {totals['passed']} passed, {totals['failed']} failed, {totals['error']} errors, "
            f"{totals['skipped']} skipped\n{verdict}")


@main.command(short_help="Show what a run would do; start nothing.")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--target", help=TARGET_HELP)
@click.option("--chain-id", type=int, help="Chain id of the assets, with an Ocean Provider --target (an Ocean Node needs none).")
@click.option("--rpc", callback=_rpc_url, metavar="URL", help=RPC_HELP)
@click.option("--only", multiple=True, metavar="JOB", help="Plan only this job; repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@variable_options
def plan(specs, target, chain_id, rpc, only, fmt, assignments, env_files):
    """Show what `c2d run` would do for each SPEC (a file, or a folder of specs): jobs, environments,
    prices, inputs; nothing is started.

    Exits 0 when every job can run, 1 when any cannot (each reason is listed).
    """
    from c2d_runner.connect import plan_spec

    _variables(env_files, assignments)
    plans = _load_all(specs)
    chosen = _target(target, chain_id)
    reports = [plan_spec(p, _with_rpc(chosen or p.target, rpc), tuple(only)) for p in plans]
    if fmt == "json":
        docs = [{"spec": str(p.path), "target": r.target, "jobs": list(r.jobs), "problems": list(r.problems),
                 **({"totals": r.totals, "symbols": r.symbols} if r.totals is not None else {})}
                for p, r in zip(plans, reports)]
        click.echo(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, default=str))
    else:
        for spec_plan, report in zip(plans, reports):
            if len(plans) > 1:
                click.echo(f"spec {spec_plan.path}:")
            _print_plan(report)
    sys.exit(exitcodes.FAILED if any(r.problems for r in reports) else exitcodes.OK)


def _print_plan(report) -> None:
    from c2d_runner.engine.costs import gas_text, spend_text, token_amount_text

    symbols = report.symbols or {}
    click.echo(f"target: {report.target}")
    for job in report.jobs:
        for line in _plan_lines(job, symbols):
            click.echo(line)
        for order in job.get("costs", {}).get("orders", ()):
            fee = (f", provider fee {token_amount_text(order['fee_amount'], order['fee_token'], symbols)}"
                   if order["fee_token"] and int(order["fee_amount"]) else ", no provider fee")
            paid = "1 datatoken" if order["how"] == "startOrder" else "no datatoken"
            if order["how"] == "shared":
                paid, fee = "an earlier job's order, nothing paid", ""
            click.echo(f"  order        {order['input']}: {order['how']} ({paid}{fee})")
        escrow = job.get("costs", {}).get("escrow")
        if escrow:
            sends = ", ".join(escrow.get("transactions", ())) or "nothing: its funds and authorization cover it"
            lock = token_amount_text(escrow["amount"], escrow["token"], symbols)
            click.echo(f"  escrow       {lock} locked at start for {escrow['payee']} (Escrow {escrow['escrow']}; "
                       f"the node claims what the job uses); sends {sends}")
        if "gas" in job.get("costs", {}):
            click.echo(f"  gas          {gas_text(job['costs']['gas'])}")
    if report.totals is not None:
        click.echo(f"would spend: {spend_text(report.totals, symbols)}")
    for problem in report.problems:
        click.echo(f"cannot run: {problem}", err=True)


def _dataset_text(item: dict) -> str:
    if "url" in item:
        return item["url"]
    return f"{item['did']} (service {item['service']}) {item.get('name', '')}".rstrip()


def _plan_lines(job: dict, symbols: dict | None = None) -> list[str]:
    """`c2d plan`'s text for one job (a Provider's or an Ocean Node's); tokens by their `symbols` where known."""
    env, algo = job["environment"], job["algorithm"]
    lines = [f"job {job['job']}:", f"  dataset      {_dataset_text(job['dataset'])}"]
    lines += [f"  + dataset    {_dataset_text(extra)}" for extra in job["additional_datasets"]]
    lines.append("  algorithm    " + (f"{algo['did']} {algo.get('name', '')}".rstrip() if "did" in algo
                                      else f"raw, {algo['image']}, {algo['entrypoint']!r} from {algo['source']}"))
    if job.get("protocol") == "ocean-node":
        cost = env.get("cost")
        symbol = (symbols or {}).get(cost["token"]) if cost else None
        token = f"{symbol} ({cost['token']})" if symbol else f"of token {cost['token']}" if cost else ""
        price = "free" if env["free"] else f"{cost['amount']:g} {token} on chain {cost['chainId']}"
        lines.append(f"  environment  {env['id']} ({price}) at Ocean Node {job['provider']}")
        lines.append(f"  resources    " + ", ".join(f"{k} {v:g}" for k, v in env["resources"].items())
                     + f"; maxJobDuration {env['maxJobDuration']:g} s")
        limits = env.get("free_limits")
        if limits:
            maxima = ", ".join(f"{k} {v:g}" for k, v in limits["resources"].items() if v is not None)
            access = limits["access"] if isinstance(limits["access"], str) else ", ".join(limits["access"])
            lines.append(f"  free limits  maxJobDuration {limits['maxJobDuration']:g} s, maxJobs {limits['maxJobs']}, "
                         f"{maxima}; access: {access}")
        if job.get("envs"):
            lines.append(f"  envs         {', '.join(sorted(job['envs']))}")
        lines += [f"  warning      {w}" for w in env.get("warnings", ())]
    else:
        price = "free" if env["free"] else f"priceMin {env['priceMin']:g}"
        lines.append(f"  environment  {env['id']} ({price}) at {job['provider']}")
    lines.append(f"  timeout      {job['timeout']:g} s; custom data {json.dumps(job['algocustomdata'])}")
    lines += [f"  warning      {w}" for w in job.get("warnings", ())]
    return lines


@main.command(short_help="Check that a spec's lock file still holds.")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--target", help=TARGET_HELP)
@click.option("--chain-id", type=int, help="Chain id of the assets, with an Ocean Provider --target (an Ocean Node needs none).")
def verify(spec, target, chain_id):
    """Tell whether SPEC's lock file still holds for the current DDOs, algorithm and data, without running.

    Exits 0 when it holds, 1 when anything changed (each difference listed).
    """
    from c2d_runner.connect import verify_spec
    from c2d_runner.engine.lock import lock_path

    plan_ = _load(spec)
    differences, problems = verify_spec(plan_, _target(target, chain_id))  # LockUnreadable: exit 2
    for line in problems + differences:
        click.echo(f"changed: {line}" if line in differences else f"cannot verify: {line}")
    if problems or differences:
        click.echo(f"{spec}: the lock does not hold", err=True)
        sys.exit(exitcodes.FAILED)
    click.echo(f"{spec}: the lock holds ({lock_path(plan_.path).name})")


RUNS_OPTION = click.option("--out", "runs", type=click.Path(file_okay=False, path_type=Path), default="runs",
                           show_default=True, help="The runs folder where the job's run was recorded.")


@main.command(short_help="Status of a job from an earlier run.")
@click.argument("job_id")
@RUNS_OPTION
def status(job_id, runs):
    """Show the provider's status of a job from an earlier run."""
    from c2d_runner.connect import job_session

    with job_session(job_id, runs) as (record, conn):
        job = conn.compute.status(record.dataset_did, record.provider, job_id, conn.wallet)
    click.echo(json.dumps(job, indent=2, default=str))


@main.command(short_help="Logs of a job from an earlier run.")
@click.argument("job_id")
@RUNS_OPTION
@click.option("--type", "log_type", default="algorithmLog", show_default=True,
              help="Result type to print: algorithmLog, configurationLog (or the Provider's configrationLog), "
                   "output, ...")
@click.option("--follow", is_flag=True, help="Ocean Node: stream a running job's output as it comes "
              "(computeStreamableLogs), then print its stored log. Provider: wait for the job to end, saying "
              "each status on stderr, then print the log (a Provider publishes logs only at the end).")
def logs(job_id, runs, log_type, follow):
    """Print the logs of a job from an earlier run."""
    from c2d_runner.connect import job_session
    from c2d_runner.engine.results import PROVISIONING_LOGS
    from c2d_runner.engine.runner import UsageError

    # The provisioning log is configrationLog [sic] on a Provider and configurationLog on a node: either finds it.
    wanted = set(PROVISIONING_LOGS) if log_type in PROVISIONING_LOGS else {log_type}
    with job_session(job_id, runs) as (record, conn):
        if follow and _follow(conn, record.provider, job_id, record.dataset_did):
            return
        job = conn.compute.job_status(record.dataset_did, record.provider, job_id, conn.wallet)
        types = [item.type for item in job.results]
        if not wanted.intersection(types):
            raise UsageError(f"job {job_id} has no {log_type} result (its results: "
                             f"{', '.join(dict.fromkeys(types)) or 'none yet'})")
        # By type through the client: a node's algorithm.log arrives as plain text, its framing removed.
        chunks = [chunk for kind in dict.fromkeys(t for t in types if t in wanted)
                  for chunk in conn.compute.compute_job_result_logs(record.dataset_did, record.provider, job_id,
                                                                    conn.wallet, kind)]
    for chunk in chunks:
        click.echo(chunk.decode("utf-8", errors="replace"), nl=False)


def _follow(conn, provider: str, job_id: str, record_did: str) -> bool:
    """Stream a running node job's output; False when the job no longer runs (print the stored log).
    A Provider has no live logs: wait for its job to end, then the stored log is printed."""
    from c2d_runner.ocean.errors import ProviderError

    node = conn.compute.nodes.for_url(provider)
    if node is None:
        _wait_for_the_end(conn, record_did, provider, job_id)
        return False  # its log is published now: print it
    try:
        node.follow_logs(conn.wallet, job_id, lambda text: click.echo(text, nl=False))
    except ProviderError as exc:
        if exc.status == 404:  # "Job not found or not running": it is over, its log is stored
            return False
        raise
    return True


def _wait_for_the_end(conn, did: str, provider: str, job_id: str) -> None:
    """Poll a Provider job until it is over (a day at most), saying each new status on stderr."""
    def said(job) -> None:
        click.echo(f"c2d: job {job_id}: {job.describe()}", err=True)

    conn.compute.wait(did, provider, job_id, conn.wallet, timeout=24 * 3600.0, on_status=said)


@main.command(short_help="Download the results of a job from an earlier run.")
@click.argument("job_id")
@RUNS_OPTION
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to put outputs/ and logs/ in (default: the job's folder in its run).")
def results(job_id, runs, dest):
    """Download every result of a job from an earlier run into outputs/ and logs/, with the runner's code.

    Every result: also the infrastructure's logs (configuration, image, publish) that a run leaves on
    the provider for a job that passed (run.json lists them under not_fetched).
    """
    from c2d_runner.connect import job_session
    from c2d_runner.engine.commands import job_results
    from c2d_runner.engine.journal import RunFolderUnwritable, job_folder_name
    from c2d_runner.engine.results import ResultsIncomplete

    with job_session(job_id, runs) as (record, conn):
        folder = dest or record.run_folder / job_folder_name(record.job_name)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK):
                raise PermissionError(13, "Permission denied")
        except OSError as exc:
            raise RunFolderUnwritable(f"cannot write to {folder}: {exc.strerror or exc}; "
                                      "choose another folder with --dest") from None
        got = job_results(record, conn.compute, conn.wallet, folder)
    for result in got.records:
        click.echo(f"{result.path}  {result.size} bytes  sha256 {result.sha256}  ({result.type})")
    if got.problems:
        raise ResultsIncomplete(got)


@main.command(short_help="Stop a job from an earlier run.")
@click.argument("job_id")
@RUNS_OPTION
def stop(job_id, runs):
    """Ask the provider to stop a job from an earlier run."""
    from c2d_runner.connect import job_session

    with job_session(job_id, runs) as (record, conn):
        job = conn.compute.stop_job(record.dataset_did, record.provider, job_id, conn.wallet)
    click.echo(f"stop requested for {job_id}: status {job.describe()}")


@main.group()
def runs() -> None:
    """Earlier runs: list them, show one, clean old ones (runs/<spec>/latest is the newest of each spec)."""


HISTORY_OPTION = click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default="runs",
                              show_default=True, help="The runs folder.")


@runs.command("list")
@click.argument("spec", required=False)
@HISTORY_OPTION
def runs_list(spec, folder):
    """List the runs (of SPEC, a spec's name), newest first."""
    from c2d_runner.engine.history import list_runs

    found = list_runs(folder, spec)
    for run in found:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(run.counts.items())) or "no jobs recorded"
        started = run.record.get("started_at", "")
        click.echo(f"{run.spec:<20} {run.run_id:<24} {run.state:<10} {started:<25} {counts}")
    if not found:
        click.echo(f"no runs under {folder}" + (f" for spec {spec!r}" if spec else ""), err=True)


@runs.command("show")
@click.argument("run", default="latest")
@HISTORY_OPTION
def runs_show(run, folder):
    """Show a run's summary: RUN is a run id, a spec's name (its latest run), SPEC/latest or a run folder."""
    from c2d_runner.engine.history import find_run
    from c2d_runner.engine.outcome import RunOutcome, job_from_dict
    from c2d_runner.report import format_summary

    found = find_run(folder, run)
    record = found.record
    if not record:
        click.echo(f"{found.folder}: unfinished (no run.json): killed, or still going; `c2d run SPEC --resume "
                   f"{found.folder}` continues it")
        return
    outcome = RunOutcome(spec_name=record["spec"]["name"], spec_path=Path(record["spec"]["path"]),
                         run_id=record["run_id"], folder=found.folder, target=str(record.get("target")),
                         started_at=record.get("started_at", ""), duration=record.get("duration") or 0.0,
                         jobs=tuple(job_from_dict(j) for j in record.get("jobs", [])),
                         problems=tuple(record.get("problems", [])), interrupted=bool(record.get("interrupted")),
                         warnings=tuple(record.get("warnings", [])))
    click.echo(f"run {outcome.run_id} of {outcome.spec_path} (started {outcome.started_at})")
    click.echo(format_summary(outcome))


@runs.command("clean")
@click.argument("spec", required=False)
@click.option("--keep", type=click.IntRange(0), default=5, show_default=True, help="Runs to keep per spec.")
@HISTORY_OPTION
def runs_clean(spec, keep, folder):
    """Remove all but the newest --keep runs of each spec (of SPEC only, if given); runs in progress stay."""
    from c2d_runner.engine.history import clean_runs

    removed = clean_runs(folder, keep, spec)
    for path in removed:
        click.echo(f"removed {path}")
    click.echo(f"{len(removed)} run folder{'s' if len(removed) != 1 else ''} removed", err=True)


@main.group()
def mock() -> None:
    """The bundled mock Ocean: a Provider + Aquarius or an Ocean Node."""


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
@click.option("--protocol", type=click.Choice(["provider", "ocean-node"]), default="provider", show_default=True,
              help="What the mock speaks: the Python Provider v2 + Aquarius, or an Ocean Node (C2D v2).")
@click.option("--rate-limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="ocean-node only: at most N requests a minute per client IP, then 429 as the node "
                   "answers (the node's own default is 30; default here: no limit).")
@click.option("--settle", type=click.FloatRange(min=0), default=1.0, show_default=True, metavar="SECONDS",
              help="ocean-node only: how long a finished job stays at 71 'Job settling' before 70 (with --chain, "
                   "a paid job's escrow lock is claimed then, when the job is next read).")
@click.option("--chain", "with_chain", is_flag=True,
              help="Run on a local chain with Ocean's real contracts (needs: pip install 'c2d-runner[chain]'): "
                   "the world's assets become data NFTs with datatokens, the test consumer is funded, and a "
                   "loopback JSON-RPC endpoint and an address.json are printed for clients.")
def serve(world: str | None, port: int, host: str, state_dir: str | None, faults: str | None, seed: int,
          protocol: str, rate_limit: int | None, settle: float, with_chain: bool) -> None:
    """Run the mock Ocean (Provider + Aquarius, or an Ocean Node, at one URL) until Ctrl-C / SIGTERM."""
    import contextlib

    from c2d_runner.connect import local_chain, mock_ocean

    if protocol != "ocean-node" and rate_limit is not None:
        raise click.UsageError("--rate-limit is an Ocean Node behaviour: use it with --protocol ocean-node")
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(local_chain(world, Path(state_dir) if state_dir else None)) if with_chain else None
        server = mock_ocean(world, faults, seed, state_dir, host=host, port=port, protocol=protocol,
                            rate_limit=rate_limit, settle_seconds=settle, chain=handle and handle.chain)
        _serve_until_stopped(server, protocol, rate_limit, handle)


def _serve_until_stopped(server, protocol: str, rate_limit: int | None, handle) -> None:
    """Start `server`, print where it answers, wait for Ctrl-C / SIGTERM, stop it."""
    import signal
    import threading

    server.start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    speaks = "an Ocean Node" if protocol == "ocean-node" else "Provider and Aquarius"
    limit = f", rate limit {rate_limit}/min" if rate_limit else ""
    click.echo(f"mock Ocean ready at {server.url} ({speaks}; chain {server.chain_id}, "
               f"faults {server.profile.name}{limit})")
    for asset in server.assets.values():
        click.echo(f"  {asset.name:<12} {asset.kind:<9} {asset.did}")
    if handle is not None:
        from c2d_runner import wire

        click.echo(f"local chain {handle.chain.chain_id} at {handle.rpc} (Ocean's contracts: {handle.address_file}, "
                   f"network 'development'; test consumer {wire.address_of(wire.TEST_CONSUMER_KEY)} is funded)")
    kind, warning = server.sandbox
    click.echo(f"algorithms run in sandbox: {kind}" + (f" (WARNING: {warning})" if warning else ""))
    modes, limits_warning = server.job_limits
    if modes and protocol == "ocean-node":
        click.echo("Ocean Node job limits: " + ", ".join(f"{k} {v}" for k, v in modes.items())
                   + (f" (WARNING: {limits_warning})" if limits_warning else ""))
    sys.stdout.flush()
    while not done.wait(0.5):
        pass
    click.echo("stopping the mock Ocean")
    server.stop()


def entry() -> None:
    """The `c2d` console script: run the command, then leave without the interpreter's teardown."""
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    quick_exit(0 if code is None else code)


def quick_exit(code: object) -> None:
    """Exit once output is flushed and nothing else runs, skipping the teardown of ~500 modules.

    Python's own exit spends ~100 ms freeing every module; nothing of that matters to a finished
    command.  Falls back to the normal exit when output cannot be flushed (Python reports it) or
    when a non-daemon thread or a child process still runs (Python would wait for the thread; a
    child is left to the normal path too, to change nothing there).
    """
    import atexit
    import threading

    if not isinstance(code, int):  # sys.exit("message"): let Python print it
        sys.exit(code)
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others or _child_running():
        sys.exit(code)
    try:
        atexit._run_exitfuncs()  # logging.shutdown and friends, as at a normal exit
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # e.g. a closed pipe: the normal exit reports it the usual way
        sys.exit(code)
    os._exit(code & 0xFF)


def _child_running() -> bool:
    """True when a child process of ours is still running (finished ones are reaped here)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


if __name__ == "__main__":
    entry()
