"""The Ocean Node (C2D v2) job layout: what its Docker engine provisions, and the files it keeps.

On the host a node keeps `<job>/data/{inputs,transformations,ddos,outputs,logs}` (chmod 777),
writes configuration.log and image.log in `data/logs`, copies the whole `data/` into the
container's `/data` volume, and after the run saves the container's logs as algorithm.log and
`/data/outputs` as outputs.tar.  Here `<job_dir>/data` is bound at /data itself, so the node's
own logs live beside it in `<job_dir>/logs` where the algorithm cannot touch them; the copies
the algorithm sees in /data/logs are bound read-only, like every provisioned file.
"""
from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mockprovider import urlfetch
from mockprovider.jsvalues import js_stringify

# `$ALGO` becomes this relative path; the image's WORKDIR (and the job's cwd) is `/`.
ALGORITHM_PATH = "data/transformations/algorithm"
# Docker's default PATH, which the node's python images keep.
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_FOLDERS = ("inputs", "transformations", "ddos", "outputs", "logs")
CUSTOM_DATA = "algoCustomData.json"

# Result files in the node's order (compute_engine_docker.ts getResults), with their types.
IMAGE_LOG, CONFIGURATION_LOG, ALGORITHM_LOG, OUTPUTS_TAR = (
    "image.log", "configuration.log", "algorithm.log", "outputs.tar")
RESULT_TYPES = {IMAGE_LOG: "imageLog", CONFIGURATION_LOG: "configurationLog",
                ALGORITHM_LOG: "algorithmLog", OUTPUTS_TAR: "output"}

DATA_PROVISIONING_FAILED = 31


class ProvisioningError(Exception):
    """Data provisioning failed (status 31); the message is already in configuration.log."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class NodePaths:
    """Host paths of one v2 job."""

    job_dir: Path
    data: Path = field(init=False)
    logs: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", self.job_dir / "data")
        object.__setattr__(self, "logs", self.job_dir / "logs")

    def result(self, name: str) -> Path:
        """Where the node-side copy of a result file lives."""
        return self.job_dir / OUTPUTS_TAR if name == OUTPUTS_TAR else self.logs / name

    @property
    def live_log(self) -> Path:
        """algorithm.log while the job runs; it becomes a result only when the job ends, as on a node."""
        return self.logs / "algorithm.log.live"


def new_hostname() -> str:
    """A container's hostname: the first 12 hex digits of its id, random per job."""
    return secrets.token_hex(6)


def make_folders(paths: NodePaths, image: str) -> None:
    """The job folders (777, as makeJobFolders leaves them) and image.log after the 'pull'."""
    paths.job_dir.mkdir(parents=True, exist_ok=True)
    paths.data.mkdir()                   # a leftover would mix an earlier run into this job
    os.chmod(paths.data, 0o777)
    for name in _FOLDERS:
        (paths.data / name).mkdir()
        os.chmod(paths.data / name, 0o777)
    paths.logs.mkdir()
    # The node writes the registry's pull progress here; an offline mock pulls nothing.
    paths.result(IMAGE_LOG).write_text(f"Successfully pulled image: {image}\n" if image else "",
                                       encoding="utf-8")


class ConfigurationLog:
    """configuration.log, written line by line as the node's uploadData does."""

    def __init__(self, path: Path, folder_name: str) -> None:
        self.path = path
        # The node names its host folder in this log; the mock names a node-like one, never its own.
        self.folder = f"./c2d_storage/{folder_name}"

    def line(self, text: str) -> None:
        """Append one line."""
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")


def provision(request, paths: NodePaths, log: ConfigurationLog, *, fetch_max_bytes: int,
              fetch_timeout: float) -> tuple[str, ...]:
    """Write custom data, the algorithm and the inputs; returns the files to show read-only.

    `request` is an executor.ExecutionRequest (not imported: the executor imports this module).
    """
    inputs = paths.data / "inputs"
    log.line(f"Writing algocustom data to '/data/inputs/{CUSTOM_DATA}'")
    _write_file(inputs / CUSTOM_DATA, js_stringify(request.algocustomdata
                                                   if request.algocustomdata is not None else {}).encode())
    written = [f"inputs/{CUSTOM_DATA}"]
    code = request.algorithm.files[0] if request.algorithm.files else b""
    if code:
        log.line(f"Writing raw algo code to {log.folder}/{ALGORITHM_PATH}")
        _write_file(paths.data / "transformations" / "algorithm", code)
        written.append("transformations/algorithm")
    else:
        # The node then looks for algorithm files, finds none, and runs the entrypoint anyway:
        # the interpreter fails on the missing file (exit 2 for python), not provisioning.
        log.line("Using undefined and serviceId undefined to get algorithm files.")
        log.line("Could not extract any files object from the compute algorithm, skipping...")
    for index, dataset in enumerate(request.inputs):
        log.line(f"Downloading asset {index} to /data/inputs/")
        for position, source in enumerate(dataset.files):
            name = _file_name(dataset, position, source)
            if name is None:
                log.line("Unable to get storage class for asset: the URL has no file name")
                raise ProvisioningError(DATA_PROVISIONING_FAILED, "the URL has no file name")
            target = inputs / name
            log.line(f"Downloading asset to {log.folder}/data/inputs/{name}")
            try:
                # Two inputs with one name: the later one replaces the earlier, as on a node.
                target.unlink(missing_ok=True)
                _provision_file(source, dataset.userdata, target, fetch_max_bytes, fetch_timeout)
            except (OSError, urlfetch.FetchFailed) as exc:
                message = str(exc) if isinstance(exc, urlfetch.FetchFailed) else (exc.strerror or str(exc))
                log.line(f"Unable to write input data to path: {log.folder}/data/inputs/{name}: {message}")
                raise ProvisioningError(DATA_PROVISIONING_FAILED, f"input {name}: {message}") from None
            os.chmod(target, 0o644)
            if f"inputs/{name}" not in written:
                written.append(f"inputs/{name}")
    log.line("All good with data provisioning, will start uploading it...")
    # The container gets a copy of data/ as it is now, node logs included.
    for name in (CONFIGURATION_LOG, IMAGE_LOG):
        shutil.copyfile(paths.result(name), paths.data / "logs" / name)
        os.chmod(paths.data / "logs" / name, 0o644)
        written.append(f"logs/{name}")
    return tuple(written)


def job_env(envs: dict[str, str], hostname: str, home: str = "/") -> dict[str, str]:
    """What a node's container has: the image's PATH, Docker's HOSTNAME and HOME, algorithm.envs."""
    env = {"PATH": IMAGE_PATH, "HOSTNAME": hostname, "HOME": home}
    env.update({str(k): str(v) for k, v in envs.items()})
    return env


def disk_watch(data: Path, limit: int | None, every: float = 0.5,
               clock: Callable[[], float] | None = None) -> Callable[[], str | None] | None:
    """A check that says when /data holds more than `limit` bytes, polled like the node's `du -sb`."""
    if not limit:
        return None                      # disk 0: unlimited, as on the node
    import time
    clock = clock or time.monotonic
    last = [float("-inf")]

    def check() -> str | None:
        now = clock()
        if now - last[0] < every:
            return None
        last[0] = now
        used = tree_bytes(data)
        return f"disk quota exceeded: {used} bytes used, {limit} allowed" if used > limit else None

    return check


def tree_bytes(root: Path) -> int:
    """Apparent size of a tree (du -sb): every entry's st_size, links never followed."""
    total = 0
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += st.st_size
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return total


def result_files(paths: NodePaths) -> list[tuple[str, str, Path]]:
    """(filename, type, path) of the result files that exist, in the node's order."""
    found = []
    for name in (IMAGE_LOG, CONFIGURATION_LOG, ALGORITHM_LOG, OUTPUTS_TAR):
        path = paths.result(name)
        if path.is_file() and not path.is_symlink():
            found.append((name, RESULT_TYPES[name], path))
    return found


def _file_name(dataset, position: int, source) -> str | None:
    if position < len(dataset.names) and dataset.names[position]:
        name = dataset.names[position]
    elif isinstance(source, Path):
        name = source.name
    else:
        name = urlfetch.url_file_name(source.url)
    if name is None or name in (".", "..") or "/" in name or "\0" in name or not name.strip():
        return None
    return name


def _provision_file(source, userdata, target: Path, max_bytes: int, timeout: float) -> None:
    if isinstance(source, Path):
        # A copy, never a link: the world's dataset must stay as it is for every later job.
        shutil.copyfile(source, target)
        return
    url = urlfetch.with_userdata(source.url, userdata)
    urlfetch.fetch(url, target, method=source.method, headers=source.headers,
                   max_bytes=max_bytes, timeout=timeout)


def _write_file(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    os.chmod(path, 0o644)
