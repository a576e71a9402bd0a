"""The mock's algorithm executor: one C2D job from provisioning to published results.

Two runtimes, chosen per request.  The v1 layout reproduces what the Provider's v1 stack
(operator-engine + pod-configuration + pod-publishing) does to a job; the v2 layout reproduces
Ocean Node's Docker engine (mockprovider/node_runtime.py: flat inputs, only algorithm.envs,
Docker-framed logs, outputs.tar, cgroup limits from mockprovider/limits.py).  Both run in one
blocking call: lay out /data, run the entrypoint in the sandbox, capture its output, enforce the
duration, and publish the result files in the real order and with the real types.  The HTTP
server owns job state and routes; it learns about progress only through `on_status` and the
returned `ExecutionResult`.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import selectors
import shlex
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Mapping

from c2d_runner.wire import did_hex, exit_code_line
from mockprovider import dockerlog, limits as job_limits, node_runtime as nr, sandbox as sb
from mockprovider.outputs_tar import unsafe_name, write_outputs_tar

# v1 status codes this module reports (texts live in c2d_runner.wire.STATUS_TEXT).
CONFIGURING = 20
PROVISIONED = 30
DATA_PROVISIONING_FAILED = 31
ALGORITHM_PROVISIONING_FAILED = 32
RUNNING = 40
DISK_QUOTA_EXCEEDED = 42
PUBLISHING = 60
FINISHED = 70

STOPREQ_NONE, STOPREQ_STOPPED, STOPREQ_TIMEOUT = 0, 1, 2
# A v1 job's process limit: the node's PidsLimit (limits.JobLimits' default), so a fork bomb stops
# at the same count in both layouts.
V1_MAX_PROCESSES = job_limits.JobLimits().max_processes

# Result types as pod-publishing writes them ("configrationLog" is the real misspelling).
TYPE_OUTPUT = "output"
TYPE_ALGORITHM_LOG = "algorithmLog"
TYPE_CONFIGURATION_LOG = "configrationLog"

_CHUNK = 64 * 1024
_POLL_SECONDS = 0.1
# After the algorithm exits we keep reading until every writer of its output pipe is gone; a
# process that escaped the job's process group (only possible without bwrap) could hold it open
# for ever, so the drain is bounded.
_DRAIN_SECONDS = 3.0
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENV_REF = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


LAYOUT_V1 = "v1"   # the Provider's C2D v1 pod: /data/inputs/<did>/<i>, DIDS and friends
LAYOUT_V2 = "v2"   # Ocean Node's Docker engine: /data/inputs/<file name>, only algorithm.envs


@dataclass(frozen=True)
class UrlFile:
    """A URL dataset file (a node fileObject {type: "url", url, method, headers}), fetched by the mock."""

    url: str
    method: str = "get"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InputDataset:
    """One input dataset: its DID, its files (local, or URLs in v2) and its DDO.

    v2 only: `did` may be None (a fileObject dataset), `names` are the file names the node uses
    (default: the local file's name, or the URL's last path segment) and `userdata` goes into
    each URL's query.
    """

    did: str | None
    files: tuple[Path | UrlFile, ...]
    ddo: dict | None
    names: tuple[str, ...] = ()
    userdata: Mapping | None = None

    def __post_init__(self) -> None:
        if self.did is not None:
            _check_did_component(self.did)


@dataclass(frozen=True)
class Resources:
    """A v2 job's resources in bytes (the caller converts the node's GB); None means unlimited."""

    ram_bytes: int | None = None
    cpus: float | None = None
    disk_bytes: int | None = None        # None or 0: unlimited, as the node's disk 0
    max_processes: int = 512             # the node's PidsLimit


@dataclass(frozen=True)
class Algorithm:
    """The algorithm: code files (files[0] is the main one), DDO, entrypoint and runtime map."""

    did: str | None                      # None for a raw algorithm
    files: tuple[bytes, ...]
    ddo: dict | None
    entrypoint: str
    command_map: Mapping[str, str]

    def __post_init__(self) -> None:
        if self.did is not None:
            _check_did_component(self.did)


@dataclass(frozen=True)
class ExecutionRequest:
    """Everything the executor needs for one job; job_dir must not hold a previous run."""

    job_id: str
    job_dir: Path
    inputs: tuple[InputDataset, ...]
    algorithm: Algorithm
    algocustomdata: dict | None
    max_duration: float                  # seconds from the algorithm's start; <= 0 or inf: no limit
    allow_network: bool
    max_log_bytes: int = 10 * 2**20
    layout: str = LAYOUT_V1
    envs: Mapping[str, str] = field(default_factory=dict)   # v2: algorithm.envs, all the job gets
    resources: Resources | None = None   # v2 limits; None: v1's rlimits only
    image: str = ""                      # v2: the image name image.log reports as pulled


@dataclass(frozen=True)
class ResultFile:
    """One published result: name, size at publishing time, Ocean result type, host path."""

    filename: str
    filesize: int
    type: str
    path: Path


@dataclass(frozen=True)
class ExecutionResult:
    """Final status (70, 31, 32; 42 in v2), stopreq (0, 1 stop, 2 timeout) and results in order.

    v2 adds the node's terminationDetails: the exit code (128+signal when killed, so 137 for a
    stop, a timeout or an OOM kill; None when the algorithm never ran, and after a 42, as on a
    node) and the OOM flag, plus a one-line reason for 31, 32 and 42.
    """

    status: int
    stopreq: int
    results: tuple[ResultFile, ...]
    exit_code: int | None = None
    oom_killed: bool | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Layout:
    """Host paths of one job; `data` becomes /data in the sandbox, `admin` stays invisible."""

    job_dir: Path
    data: Path = field(init=False)
    admin: Path = field(init=False)
    sandbox_work: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", self.job_dir / "data")
        object.__setattr__(self, "admin", self.job_dir / "adminlogs")
        object.__setattr__(self, "sandbox_work", self.job_dir / "sandbox")

    @property
    def configure_log(self) -> Path:
        return self.admin / "configure.log"

    @property
    def algorithm_log(self) -> Path:
        return self.data / "logs" / "algorithm.log"


class _AdminLog:
    """configure.log: what the operator side did, published to the consumer as configrationLog.

    It never names host paths (they would leak the mock's layout to consumers), only DIDs,
    indexes and reasons.
    """

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")

    def note(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._file.write(f"{stamp} {message}\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class _ProvisioningFailed(Exception):
    """A job's inputs could not be laid out: the job ends in `status` (not a C2DError, no user sees it)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _SandboxChoice:
    """choose_sandbox's answer.  For "auto" it is probed on a background thread: trying bwrap takes
    40-80 ms, which a mock starting up would otherwise wait for before serving its first request.
    An explicit choice is settled at once, so an unusable "bwrap" still fails the mock's start."""

    def __init__(self, requested: str, limits: sb.ResourceLimits) -> None:
        self._answer: tuple[str, str | None] | None = None
        self._thread: threading.Thread | None = None
        if requested != sb.AUTO:
            self._answer = sb.choose_sandbox(requested, limits)
            return
        self._thread = threading.Thread(target=self._probe, args=(limits,), name="c2d-sandbox-probe", daemon=True)
        self._thread.start()

    def _probe(self, limits: sb.ResourceLimits) -> None:
        self._answer = sb.choose_sandbox(sb.AUTO, limits)  # "auto" falls back instead of raising

    def get(self) -> tuple[str, str | None]:
        """(kind, warning), once the probe is done."""
        if self._thread is not None:
            self._thread.join()
        if self._answer is None:  # the probe thread died of a bug: refuse to guess the isolation
            raise RuntimeError("the sandbox probe failed; see the thread's traceback")
        return self._answer


class Executor:
    """Runs C2D jobs in the best available sandbox; safe to share between threads."""

    def __init__(self, sandbox: str = "auto", limits: sb.ResourceLimits = sb.ResourceLimits(), *,
                 fetch_max_bytes: int = 1 << 30, fetch_timeout: float = 30.0) -> None:
        self.limits = limits
        self._sandbox = _SandboxChoice(sandbox, limits)
        # How v2 jobs' memory, process and CPU limits are enforced here (cgroups, or rlimits).
        self.limit_support = job_limits.detect()
        self.limits_warning = self.limit_support.warning
        self.fetch_max_bytes, self.fetch_timeout = fetch_max_bytes, fetch_timeout

    @property
    def sandbox_kind(self) -> str:
        """"bwrap" or "none": the sandbox jobs run in (waits for the probe when it still runs)."""
        return self._sandbox.get()[0]

    @property
    def sandbox_warning(self) -> str | None:
        """Why isolation is weaker than bwrap's, or None."""
        return self._sandbox.get()[1]

    def close(self) -> None:
        """Wait for the sandbox probe, so that no probe process outlives the mock."""
        self._sandbox.get()

    def run(self, request: ExecutionRequest, on_status: Callable[[int], None] = lambda s: None,
            stop: threading.Event | None = None) -> ExecutionResult:
        """Provision, run and publish one job, blocking; returns the final status and results."""
        stop = stop or threading.Event()
        if request.layout == LAYOUT_V2:
            return self._run_v2(request, on_status, stop)
        if request.layout != LAYOUT_V1:
            raise ValueError(f"layout must be {LAYOUT_V1!r} or {LAYOUT_V2!r}, not {request.layout!r}")
        if any(d.did is None or not all(isinstance(f, Path) for f in d.files) for d in request.inputs):
            raise ValueError("the v1 layout needs a DID and local files for every input")
        # Absolute, because bwrap is started with cwd / and binds the data folder by path.
        layout = _Layout(Path(request.job_dir).absolute())
        on_status(CONFIGURING)
        _make_layout(layout)
        admin = _AdminLog(layout.configure_log)
        try:
            return self._run(request, layout, admin, on_status, stop)
        finally:
            admin.close()

    def _run(self, request: ExecutionRequest, layout: _Layout, admin: _AdminLog,
             on_status: Callable[[int], None], stop: threading.Event) -> ExecutionResult:
        admin.note(f"job {request.job_id}: configuring volumes (sandbox: {self.sandbox_kind})")
        if self.sandbox_warning:
            admin.note(f"WARNING: {self.sandbox_warning}")
        root = sb.volume_root(self.sandbox_kind, layout.data)
        try:
            _provision_inputs(request, layout, admin)
            argv = _provision_algorithm(request, layout, root, admin)
        except _ProvisioningFailed as failed:
            admin.note(f"provisioning failed ({failed.status}): {failed}")
            return ExecutionResult(failed.status, STOPREQ_NONE, _publish(layout, admin, self.limits.max_output_bytes))
        on_status(PROVISIONED)
        admin.note("provisioning success")

        stopreq = STOPREQ_NONE
        if stop.is_set():
            stopreq = STOPREQ_STOPPED
            admin.note("stop requested before the algorithm started; not running it")
        else:
            env = _job_env(request, root, layout, self.sandbox_kind)
            argv = [_expand(arg, env) for arg in argv]
            plan = sb.SandboxPlan(self.sandbox_kind, layout.data, layout.sandbox_work,
                                  self._runtime_paths(argv[0], request, layout.job_dir),
                                  request.allow_network, self.limits)
            command = sb.wrap(plan, argv, env)
            if self.sandbox_kind == sb.BWRAP:
                network = "allowed" if request.allow_network else "denied"
            else:
                network = "not isolated (no sandbox)"
            admin.note(f"running algorithm: entrypoint {request.algorithm.entrypoint!r}, network {network}")
            # The same process limit as a node's PidsLimit, enforced the same way (limits.py);
            # v1 environments name no memory or CPU amount the operator would enforce.
            group = job_limits.open_group(self.limit_support, job_limits.JobLimits(None, None, V1_MAX_PROCESSES))
            try:
                with open(layout.algorithm_log, "wb") as log:
                    outcome = _run_algorithm(command, sb.rlimit_preexec(self.limits, group.rlimits(), group.preexec()),
                                             _Capture(log, request.max_log_bytes), request, stop, admin,
                                             lambda: on_status(RUNNING))
            finally:
                group.close()
            stopreq = _STOPREQ[outcome.why]
        on_status(PUBLISHING)
        admin.note("publishing results")
        return ExecutionResult(FINISHED, stopreq, _publish(layout, admin, self.limits.max_output_bytes))


    def _runtime_paths(self, program: str, request: ExecutionRequest, job_dir: Path) -> tuple[Path, ...]:
        if self.sandbox_kind != sb.BWRAP:
            return ()
        # Never bind a runtime prefix that would also expose this job's folder or its raw datasets.
        private = [job_dir] + [f for d in request.inputs for f in d.files if isinstance(f, Path)]
        return sb.runtime_paths([program], exclude=private)

    def _run_v2(self, request: ExecutionRequest, on_status: Callable[[int], None],
                stop: threading.Event) -> ExecutionResult:
        """One job as Ocean Node's Docker engine runs it (see mockprovider/node_runtime.py)."""
        paths = nr.NodePaths(Path(request.job_dir).absolute())
        on_status(CONFIGURING)
        nr.make_folders(paths, request.image)
        config = nr.ConfigurationLog(paths.result(nr.CONFIGURATION_LOG), request.job_id)
        algorithm_log = paths.result(nr.ALGORITHM_LOG)
        on_status(PROVISIONED)               # the node's 30, "Provisioning data"
        try:
            readonly = nr.provision(request, paths, config, fetch_max_bytes=self.fetch_max_bytes,
                                    fetch_timeout=self.fetch_timeout)
            argv = _command_line(request.algorithm, nr.ALGORITHM_PATH)
        except (nr.ProvisioningError, _ProvisioningFailed) as failed:
            if isinstance(failed, _ProvisioningFailed):
                config.line(f"Unable to run the algorithm: {failed}")
            algorithm_log.touch()            # the node lists a 0-byte algorithm.log after a 31
            return ExecutionResult(failed.status, STOPREQ_NONE, self._v2_results(paths),
                                   reason=str(failed))
        # Notes about the mock itself go to a private log, not the node's configuration.log.
        notes = _AdminLog(paths.logs / "mock.log")
        try:
            if stop.is_set():
                notes.note("stop requested before the algorithm started; not running it")
                algorithm_log.touch()
                return ExecutionResult(FINISHED, STOPREQ_STOPPED, self._v2_results(paths))
            outcome, oom = self._run_v2_algorithm(request, paths, argv, readonly, notes, stop,
                                                  lambda: on_status(RUNNING))
        finally:
            notes.close()
        on_status(PUBLISHING)
        if outcome.why == WHY_DISK:
            # A real node ends such a job at 42 without terminationDetails and keeps no outputs.tar.
            return ExecutionResult(DISK_QUOTA_EXCEEDED, STOPREQ_NONE, self._v2_results(paths),
                                   reason="disk quota exceeded")
        try:
            refused = write_outputs_tar(paths.data / "outputs", paths.result(nr.OUTPUTS_TAR))
        except FileNotFoundError as exc:
            refused = [str(exc)]
        for item in refused:
            config.line(f"not archived: {item}")
        code = outcome.returncode
        exit_code = None if code is None else (code if code >= 0 else 128 - code)
        return ExecutionResult(FINISHED, _STOPREQ[outcome.why], self._v2_results(paths), exit_code, oom)

    def _run_v2_algorithm(self, request: ExecutionRequest, paths: "nr.NodePaths", argv: list[str],
                          readonly: tuple[str, ...], notes: "_AdminLog", stop: threading.Event,
                          started: Callable[[], None]) -> tuple[_Outcome, bool]:
        """Run the provisioned algorithm under the job's limits; (outcome, OOM-killed)."""
        resources = request.resources or Resources()
        hostname = nr.new_hostname()
        if self.sandbox_kind == sb.BWRAP:
            env = nr.job_env(dict(request.envs), hostname)
        else:
            scratch = paths.job_dir / "tmp"   # no namespaces: keep HOME inside the job at least
            scratch.mkdir(exist_ok=True)
            env = nr.job_env(dict(request.envs), hostname, home=str(scratch))
        plan = sb.SandboxPlan(self.sandbox_kind, paths.data, paths.job_dir / "sandbox",
                              self._runtime_paths(argv[0], request, paths.job_dir),
                              request.allow_network, self.limits, hostname=hostname,
                              readonly=readonly, named_user=False)
        command = sb.wrap(plan, argv, env)
        if self.sandbox_warning:
            notes.note(f"WARNING: {self.sandbox_warning}")
        if self.limits_warning:
            notes.note(f"WARNING: {self.limits_warning}")
        group = job_limits.open_group(self.limit_support, job_limits.JobLimits(
            resources.ram_bytes, resources.cpus, resources.max_processes))
        try:
            preexec = sb.rlimit_preexec(self.limits, group.rlimits(), group.preexec())
            with open(paths.live_log, "wb") as log:
                outcome = _run_algorithm(command, preexec, _FramedCapture(log, request.max_log_bytes),
                                         request, stop, notes, started, split_streams=True,
                                         watch=nr.disk_watch(paths.data, resources.disk_bytes))
            # The node saves the container's log when it ends; a reader still streaming the live
            # file keeps its handle on the same bytes.
            os.replace(paths.live_log, paths.result(nr.ALGORITHM_LOG))
            oom = group.oom_killed()
        finally:
            group.close()
        return outcome, oom

    @staticmethod
    def _v2_results(paths: "nr.NodePaths") -> tuple[ResultFile, ...]:
        return v2_result_files(paths.job_dir)


def algorithm_log_path(request: ExecutionRequest) -> Path:
    """Where the job's algorithm.log grows while it runs (v2: framed, flushed frame by frame)."""
    if request.layout == LAYOUT_V2:
        return nr.NodePaths(Path(request.job_dir).absolute()).live_log
    return _Layout(Path(request.job_dir).absolute()).algorithm_log


def v2_result_files(job_dir: Path) -> tuple[ResultFile, ...]:
    """The v2 result files that exist now, in the node's order; safe while the job runs.

    As on a node, a running job has only image.log and configuration.log; algorithm.log and
    outputs.tar appear when it ends.
    """
    found = []
    for name, kind, path in nr.result_files(nr.NodePaths(Path(job_dir).absolute())):
        try:
            found.append(ResultFile(name, os.lstat(path).st_size, kind, path))
        except FileNotFoundError:
            continue                     # removed between the listing and the stat
    return tuple(found)


def open_result(result: ResultFile) -> BinaryIO:
    """Open a published result for streaming without following a symlink swapped in after publishing."""
    fd = os.open(result.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"result {result.filename!r} is no longer a regular file")
    return os.fdopen(fd, "rb")


# ---------------------------------------------------------------- provisioning (status 20 -> 30)

def _check_did_component(did: str) -> None:
    # The DID hex names folders under /data; reject anything that could climb out of them.
    if not isinstance(did, str) or not _SAFE_COMPONENT.match(did_hex(did)):
        raise ValueError(f"DID {did!r} cannot name a /data folder")


def _make_layout(layout: _Layout) -> None:
    layout.job_dir.mkdir(parents=True, exist_ok=True)
    # A leftover data folder would mix a previous run's outputs into this job's results.
    layout.data.mkdir()
    for sub in ("inputs", "transformations", "ddos", "outputs", "logs"):
        (layout.data / sub).mkdir()
    layout.algorithm_log.touch()         # pod-configuration creates it empty
    layout.admin.mkdir(exist_ok=True)
    layout.configure_log.touch()


def _provision_inputs(request: ExecutionRequest, layout: _Layout, admin: _AdminLog) -> None:
    inputs_dir = layout.data / "inputs"
    for dataset in request.inputs:
        folder = inputs_dir / did_hex(dataset.did)
        folder.mkdir(exist_ok=True)
        for index, source in enumerate(dataset.files):
            # Copies, never hard links: /data/inputs is writable by the job, and writing through a
            # hard link would change the world's dataset for every later job.
            try:
                shutil.copyfile(source, folder / str(index))
            except OSError as exc:
                raise _ProvisioningFailed(
                    DATA_PROVISIONING_FAILED,
                    f"dataset {dataset.did} file {index}: {exc.strerror or type(exc).__name__}") from exc
        _write_json(layout.data / "ddos" / did_hex(dataset.did), dataset.ddo)
        admin.note(f"dataset {dataset.did}: {len(dataset.files)} file(s) provisioned")
    # Always written (the v2 engine does; v1 only when custom data is present): a v1 algorithm
    # never looks for it unless it expects it, so an empty {} is harmless and saves a branch.
    _write_json(inputs_dir / "algoCustomData.json", request.algocustomdata or {})


def _provision_algorithm(request: ExecutionRequest, layout: _Layout, root: str,
                         admin: _AdminLog) -> list[str]:
    algorithm = request.algorithm
    if not algorithm.files or not algorithm.files[0].strip():
        raise _ProvisioningFailed(ALGORITHM_PROVISIONING_FAILED, "algorithm code is empty")
    transformations = layout.data / "transformations"
    for index, content in enumerate(algorithm.files):
        path = transformations / ("algorithm" if index == 0 else str(index))
        path.write_bytes(content)
        path.chmod(0o755)                # v1 chmods it 777 so `$ALGO` alone can be the program
    if algorithm.did is not None and algorithm.ddo is not None:
        _write_json(layout.data / "ddos" / did_hex(algorithm.did), algorithm.ddo)
    admin.note(f"algorithm {algorithm.did or 'raw'}: {len(algorithm.files)} file(s) provisioned")
    return _command_line(algorithm, f"{root}/transformations/algorithm")


def _command_line(algorithm: Algorithm, algo_path: str) -> list[str]:
    """Entrypoint -> argv: $ALGO replaced as the operator does, the program mapped to a local runtime.

    There is no shell: the real pod runs the entrypoint through `sh -c`, but the only shell
    feature C2D entrypoints use is `$ALGO` (plus the odd `$VOLUME`-style variable, expanded later).
    """
    text = algorithm.entrypoint.replace("${ALGO}", algo_path).replace("$ALGO", algo_path)
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise _ProvisioningFailed(ALGORITHM_PROVISIONING_FAILED, f"entrypoint cannot be parsed: {exc}") from exc
    if not words:
        raise _ProvisioningFailed(ALGORITHM_PROVISIONING_FAILED, "entrypoint is empty")
    if words[0] == algo_path:
        return words                     # the algorithm is its own program (shebang), as v1 allows
    best: tuple[int, str] | None = None
    for key, program in algorithm.command_map.items():
        key_words = key.split()
        if key_words and words[:len(key_words)] == key_words and (best is None or len(key_words) > best[0]):
            best = (len(key_words), program)
    if best is None:
        raise _ProvisioningFailed(
            ALGORITHM_PROVISIONING_FAILED,
            f"no local runtime for entrypoint program {words[0]!r} "
            f"(mapped: {', '.join(sorted(algorithm.command_map)) or 'none'})")
    program = best[1]
    if not (os.path.isfile(program) and os.access(program, os.X_OK)):
        raise _ProvisioningFailed(ALGORITHM_PROVISIONING_FAILED,
                                  f"the runtime mapped for {words[0]!r} is not an executable program")
    return [program] + words[best[0]:]


def _job_env(request: ExecutionRequest, root: str, layout: _Layout, kind: str) -> dict[str, str]:
    """The C2D variables plus a minimal PATH/HOME/LANG; nothing is inherited from the host."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "DIDS": json.dumps([did_hex(d.did) for d in request.inputs]),
        "VOLUME": root,
        "LOGS": f"{root}/logs",
        "INPUTS": f"{root}/inputs",
        "OUTPUTS": f"{root}/outputs",
        "secret": secrets.token_hex(16),
    }
    # Unset (not "") for a raw algorithm: the example algorithms test `is not None` before
    # opening /data/ddos/$TRANSFORMATION_DID.
    if request.algorithm.did is not None:
        env["TRANSFORMATION_DID"] = did_hex(request.algorithm.did)
    if kind == sb.BWRAP:
        env["HOME"] = "/tmp"
    else:
        # Without namespaces, keep the job's scratch files inside its own folder at least.
        scratch = layout.job_dir / "tmp"
        scratch.mkdir(exist_ok=True)
        env["HOME"] = env["TMPDIR"] = str(scratch)
    return env


def _expand(word: str, env: Mapping[str, str]) -> str:
    # `sh -c` would expand $VOLUME and friends; unknown names stay literal rather than vanish.
    return _ENV_REF.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), word)


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value), encoding="utf-8")


# ---------------------------------------------------------------- running (status 40)

# Why the executor ended a job early (None: the algorithm ended by itself).
WHY_STOP, WHY_TIMEOUT, WHY_DISK = "stop", "timeout", "disk"
_STOPREQ = {None: STOPREQ_NONE, WHY_STOP: STOPREQ_STOPPED, WHY_TIMEOUT: STOPREQ_TIMEOUT,
            WHY_DISK: STOPREQ_NONE}


@dataclass(frozen=True)
class _Outcome:
    """How the algorithm's process ended: the executor's reason to end it, and its return code."""

    why: str | None
    returncode: int | None               # Popen's: negative for a signal; None if it never started


def _run_algorithm(command: sb.WrappedCommand, preexec: Callable[[], None], capture: "_Capture",
                   request: ExecutionRequest, stop: threading.Event, admin: "_AdminLog",
                   started: Callable[[], None], *, split_streams: bool = False,
                   watch: Callable[[], str | None] | None = None) -> _Outcome:
    """Run the job to its end, stop, timeout or watch verdict; the log file is written by us.

    With split_streams, stdout and stderr are read from separate pipes and fed as streams 1 and
    2 (Docker's framing); otherwise they share one pipe, as the v1 pod's log does.
    """
    try:
        proc = sb.popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE if split_streams else subprocess.STDOUT,
                        close_fds=True,
                        start_new_session=True,     # its own group, so we can kill it all
                        preexec_fn=preexec)
    except OSError as exc:
        admin.note(f"algorithm could not be started: {exc.strerror or exc}")
        return _Outcome(None, None)
    pipes = {proc.stdout: dockerlog.STDOUT}
    if split_streams:
        pipes[proc.stderr] = dockerlog.STDERR
    try:
        started()
        why = _supervise(proc, {p.fileno(): s for p, s in pipes.items()}, capture,
                         request.max_duration, stop, admin, watch)
        capture.finish()
        if capture.dropped:
            admin.note(f"algorithm.log capped at {request.max_log_bytes} bytes; "
                       f"{capture.dropped} bytes dropped")
    finally:
        # Whatever happened (including an exception in on_status), nothing of the job survives.
        sb.kill_process_group(proc.pid)
        for pipe in pipes:
            pipe.close()
        proc.wait()
    code = proc.returncode
    admin.note(exit_code_line(code))  # the runner reads the exit code from this line (wire.exit_code_from_log)
    return _Outcome(why, code)


class _Capture:
    """Streams the job's output into a log file up to a cap; memory stays one chunk."""

    def __init__(self, log: BinaryIO, cap: int) -> None:
        self._log, self._cap = log, max(0, cap)
        self.written = 0
        self.dropped = 0

    def feed(self, stream: int, chunk: bytes) -> None:
        """Take one chunk the job wrote to stream 1 (stdout) or 2 (stderr)."""
        room = self._cap - self.written
        if room > 0:
            self._log.write(chunk[:room])
            self.written += min(room, len(chunk))
        if len(chunk) > room:
            self.dropped += len(chunk) - max(room, 0)

    def finish(self) -> None:
        """Note a truncation at the end and flush."""
        if self.dropped:
            self._log.write(self._truncation_note().encode())
        self._log.flush()

    def _truncation_note(self) -> str:
        return (f"\n[mock C2D: algorithm.log truncated at {self._cap} bytes; "
                f"{self.dropped} more bytes dropped]\n")


class _FramedCapture(_Capture):
    """algorithm.log as a node stores it: Docker frames, one per line, flushed one by one.

    Docker's log copier is line-based: each line (with its newline) becomes one frame, a line
    longer than 16 KiB is cut into 16 KiB frames, and a last line without a newline is framed
    when the stream ends.  A real node's algorithm.log shows exactly that (one frame per line
    even when the algorithm wrote many lines in one write).
    """

    _MAX_LINE = 16 * 1024

    def __init__(self, log: BinaryIO, cap: int) -> None:
        super().__init__(log, cap)
        self._pending = {dockerlog.STDOUT: b"", dockerlog.STDERR: b""}

    def feed(self, stream: int, chunk: bytes) -> None:
        buffer = self._pending[stream] + chunk
        start = 0
        while True:
            end = buffer.find(b"\n", start, start + self._MAX_LINE)
            if end >= 0:
                self._frame(stream, buffer[start:end + 1])
                start = end + 1
            elif len(buffer) - start >= self._MAX_LINE:
                self._frame(stream, buffer[start:start + self._MAX_LINE])
                start += self._MAX_LINE
            else:
                break
        self._pending[stream] = buffer[start:]

    def finish(self) -> None:
        for stream, rest in self._pending.items():
            if rest:
                self._frame(stream, rest)
        self._pending = {dockerlog.STDOUT: b"", dockerlog.STDERR: b""}
        if self.dropped:
            self._log.write(dockerlog.frame(dockerlog.STDERR, self._truncation_note().encode()))
        self._log.flush()

    def _frame(self, stream: int, line: bytes) -> None:
        if self.written + len(line) + 8 <= self._cap and not self.dropped:
            self._log.write(dockerlog.frame(stream, line))
            self._log.flush()
            self.written += len(line) + 8
        else:
            self.dropped += len(line)


def _supervise(proc: subprocess.Popen, fds: dict[int, int], capture: _Capture, max_duration: float,
               stop: threading.Event, admin: "_AdminLog",
               watch: Callable[[], str | None] | None = None) -> str | None:
    """Pump output until the job ends, honouring stop, the deadline and the watch; returns why."""
    limit = max_duration if 0 < max_duration < float("inf") else None
    deadline = time.monotonic() + limit if limit else None
    why: str | None = None
    killed_at: float | None = None
    open_fds = dict(fds)
    with contextlib.ExitStack() as cleanup, selectors.DefaultSelector() as selector:
        for fd in open_fds:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        exited = _exit_watch(proc.pid)
        if exited is not None:
            # The select below wakes the moment the algorithm exits, not at the next poll.
            cleanup.callback(os.close, exited)
            selector.register(exited, selectors.EVENT_READ)
        while True:
            if killed_at is None:
                if stop.is_set():
                    why = WHY_STOP
                    admin.note("stop requested: killing the algorithm")
                elif deadline is not None and time.monotonic() >= deadline:
                    why = WHY_TIMEOUT
                    admin.note(f"maximum duration of {max_duration:g}s exceeded: killing the algorithm")
                elif watch is not None:
                    verdict = watch()
                    if verdict:
                        why = WHY_DISK
                        admin.note(f"{verdict}: killing the algorithm")
                if why is not None or _has_exited(proc.pid):
                    # Kill before reaping: while the leader is unreaped its pid (our group id)
                    # cannot be reused, so the signal only reaches this job's processes.  After a
                    # normal exit this removes leftovers, as deleting the pod does.
                    sb.kill_process_group(proc.pid)
                    killed_at = time.monotonic()
                    if exited is not None:
                        selector.unregister(exited)  # it stays readable from now on
                        exited = None
            if not open_fds and killed_at is not None:
                return why
            if killed_at is not None and time.monotonic() - killed_at > _DRAIN_SECONDS:
                admin.note("output pipe still held open by a process outside the job's group; "
                           "stopped reading")
                return why
            if not open_fds and exited is None:
                # The job closed its output but still runs: keep enforcing stop and the deadline.
                stop.wait(_POLL_SECONDS)
                continue
            for key, _events in selector.select(_POLL_SECONDS):
                if key.fd == exited:
                    continue  # the top of the loop sees the exit
                try:
                    chunk = os.read(key.fd, _CHUNK)
                except BlockingIOError:
                    continue
                if chunk:
                    capture.feed(open_fds[key.fd], chunk)
                else:
                    selector.unregister(key.fd)
                    del open_fds[key.fd]


def _exit_watch(pid: int) -> int | None:
    """A pidfd that turns readable when `pid` exits (Linux 5.3+), or None where there is none."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _has_exited(pid: int) -> bool:
    """True once the process has exited, without reaping it (WNOWAIT)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


# ---------------------------------------------------------------- publishing (status 60)

def _publish(layout: _Layout, admin: _AdminLog, max_output_bytes: int) -> tuple[ResultFile, ...]:
    """Results in pod-publishing's order: outputs (by name, up to max_output_bytes in all),
    algorithm.log, configure.log."""
    results = _within_total(_published_files(layout.data, "outputs", None, TYPE_OUTPUT, layout, admin),
                            max_output_bytes, admin)
    results += _published_files(layout.data, "logs", "algorithm.log", TYPE_ALGORITHM_LOG, layout, admin)
    admin.note(f"published {len(results)} file(s) besides this log")
    # configure.log is last and is never touched by the job, so its size is final once we stop writing.
    admin_log = layout.configure_log
    results.append(ResultFile(admin_log.name, os.lstat(admin_log).st_size, TYPE_CONFIGURATION_LOG, admin_log))
    return tuple(results)


def _within_total(outputs: list[ResultFile], limit: int, admin: _AdminLog) -> list[ResultFile]:
    """The outputs, in order, while their sizes add up to at most `limit`; the rest are refused."""
    kept, total = [], 0
    for output in outputs:
        if total + output.filesize > limit:
            admin.note(f"not published: outputs/{output.filename!r}: the job's outputs would exceed "
                       f"{limit} bytes in total")
            continue
        kept.append(output)
        total += output.filesize
    return kept


def _published_files(data: Path, folder: str, only: str | None, kind: str, layout: _Layout,
                     admin: _AdminLog) -> list[ResultFile]:
    # Everything under /data is the job's to change (it may have replaced outputs/ itself with a
    # symlink to /etc), so each step is opened relative to a directory fd, never following links.
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    data_fd = os.open(data, flags)
    try:
        try:
            dir_fd = os.open(folder, flags, dir_fd=data_fd)
        except OSError:
            admin.note(f"not published: {folder}/ is not a real folder any more")
            return []
        try:
            names = [only] if only is not None else sorted(os.listdir(dir_fd))
            found = []
            for name in names:
                reason = _refusal(name, dir_fd, layout)
                if reason:
                    if not (only is not None and reason == "missing"):
                        admin.note(f"not published: {folder}/{name!r}: {reason}")
                    continue
                size = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_size
                found.append(ResultFile(name, size, kind, data / folder / name))
            return found
        finally:
            os.close(dir_fd)
    finally:
        os.close(data_fd)


def _refusal(name: str, dir_fd: int, layout: _Layout) -> str | None:
    """Why a name in a result folder must not be published, or None when it is safe."""
    if ".." in name or "/" in name or "\\" in name:
        return "name contains '..', '/' or '\\'"
    reason = unsafe_name(name)
    if reason:
        return reason
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        return "symbolic link"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_nlink > 1:
        # A hard link can alias a file outside the job (possible without the bwrap sandbox).
        return "file has other hard links"
    real = Path(os.path.realpath(f"/proc/self/fd/{dir_fd}")) / name
    if layout.job_dir.resolve() not in real.parents:
        return "resolves outside the job folder"
    return None
