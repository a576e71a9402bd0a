"""A v2 job's resource limits, as Ocean Node's Docker engine sets them, enforced on this machine.

The node gives each container `Memory = ram` with no swap (an algorithm past it is OOM-killed:
exit 137, `OOMKilled: true`), `PidsLimit 512` and a CPU quota.  Here that is a per-job cgroup:
cgroup v2 when this process may create children with the memory and pids controllers, else the
cgroup v1 memory/pids/cpu hierarchies when they are writable (root in a container, say).  Without
either, memory falls back to RLIMIT_AS (past it allocations fail; nothing is OOM-killed) and the
process limit to RLIMIT_NPROC, which counts every process of the host uid and binds no root
process; `LimitSupport.warning` says so and the server prints it at start-up.
"""
from __future__ import annotations

import itertools
import os
import resource
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CGROUP_V2 = "cgroup-v2"
CGROUP_V1 = "cgroup-v1"
RLIMIT = "rlimit"
NOT_ENFORCED = "not enforced"

_PREFIX = f"c2d-mock-{os.getpid()}-"
_counter = itertools.count()
_CPU_PERIOD = 100_000


@dataclass(frozen=True)
class LimitSupport:
    """How this machine enforces each limit, and a warning when it falls short of a node."""

    memory: str                      # CGROUP_V2 | CGROUP_V1 | RLIMIT
    pids: str                        # CGROUP_V2 | CGROUP_V1 | RLIMIT | NOT_ENFORCED
    cpu: str                         # CGROUP_V2 | CGROUP_V1 | NOT_ENFORCED
    v2_root: Path | None = None      # the cgroup v2 folder job cgroups are made in
    v1_roots: tuple[tuple[str, Path], ...] = ()   # (controller, folder) per v1 hierarchy

    @property
    def modes(self) -> dict[str, str]:
        """{"memory": ..., "pids": ..., "cpu": ..., "disk": "polled"} for start-up reports."""
        return {"memory": self.memory, "pids": self.pids, "cpu": self.cpu, "disk": "polled"}

    @property
    def warning(self) -> str | None:
        """What a real node enforces that this machine does not, or None."""
        problems = []
        if self.memory == RLIMIT:
            problems.append("memory is limited with RLIMIT_AS (address space, not resident memory): "
                            "past it allocations fail inside the algorithm and it is never "
                            "OOM-killed (no exit 137, OOMKilled stays false)")
        if self.pids == RLIMIT:
            problems.append("the process limit is RLIMIT_NPROC, which counts every process of the "
                            "server's uid, not only the job's")
        elif self.pids == NOT_ENFORCED:
            problems.append("the 512-process limit is not enforced (no pids cgroup, and RLIMIT_NPROC "
                            "does not bind root)")
        if self.cpu == NOT_ENFORCED:
            problems.append("the CPU quota is not enforced (no cpu cgroup)")
        if not problems:
            return None
        return "v2 job limits weaker than a node's: " + "; ".join(problems) + " (see docs/sandbox.md)"


@dataclass(frozen=True)
class JobLimits:
    """The limits of one v2 job; None means unlimited."""

    ram_bytes: int | None = None
    cpus: float | None = None
    max_processes: int | None = 512


def detect() -> LimitSupport:
    """Find the strongest enforcement this process may use, by really trying it once."""
    try:
        v2 = _v2_root()
        if v2 is not None and _try_group(lambda: _V2Group.create(v2, JobLimits(1 << 30, 1, 512))):
            _remove_stale([v2])
            enabled = (v2 / "cgroup.subtree_control").read_text().split()
            return LimitSupport(CGROUP_V2, CGROUP_V2, CGROUP_V2 if "cpu" in enabled else NOT_ENFORCED,
                                v2_root=v2)
        roots = _v1_roots()
        if "memory" in roots and _try_group(lambda: _V1Group.create(roots, JobLimits(1 << 30, 1, 512))):
            _remove_stale(list(roots.values()))
            pids = CGROUP_V1 if "pids" in roots else _rlimit_pids_mode()
            cpu = CGROUP_V1 if "cpu" in roots else NOT_ENFORCED
            return LimitSupport(CGROUP_V1, pids, cpu, v1_roots=tuple(sorted(roots.items())))
    except OSError:
        pass
    return LimitSupport(RLIMIT, _rlimit_pids_mode(), NOT_ENFORCED)


def _remove_stale(roots: list[Path]) -> None:
    """Remove job cgroups left by mock processes that died without cleaning up."""
    for root in roots:
        for folder in root.glob("c2d-mock-*-*"):
            pid = folder.name.split("-")[2]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                _remove([folder])


class JobGroup:
    """One job's enforcement: join it before exec, ask it about OOM kills, close it after."""

    def preexec(self) -> Callable[[], None]:
        """A function the child runs before exec (it must only make syscalls)."""
        return lambda: None

    def rlimits(self) -> list[tuple[int, int]]:
        """(resource, value) pairs the child sets before exec."""
        return []

    def oom_killed(self) -> bool:
        """True when the kernel's OOM killer killed a process of the job."""
        return False

    def close(self) -> None:
        """Kill whatever the job left in its group and remove the group."""


def open_group(support: LimitSupport, limits: JobLimits) -> JobGroup:
    """The enforcement for one job, the best this machine has (see detect())."""
    if support.memory == CGROUP_V2 and support.v2_root is not None:
        return _V2Group.create(support.v2_root, limits)
    if support.memory == CGROUP_V1:
        return _V1Group.create(dict(support.v1_roots), limits)
    return _RlimitGroup(limits, support.pids == RLIMIT)


# ---------------------------------------------------------------- cgroup v2

class _V2Group(JobGroup):
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, root: Path, limits: JobLimits) -> "_V2Group":
        path = root / f"{_PREFIX}{next(_counter)}"
        path.mkdir()
        group = cls(path)
        try:
            if limits.ram_bytes is not None:
                _write(path / "memory.max", limits.ram_bytes)
                if (path / "memory.swap.max").exists():
                    _write(path / "memory.swap.max", 0)
            if limits.max_processes is not None:
                _write(path / "pids.max", limits.max_processes)
            if limits.cpus and (path / "cpu.max").exists():
                _write(path / "cpu.max", f"{int(limits.cpus * _CPU_PERIOD)} {_CPU_PERIOD}")
        except OSError:
            group.close()
            raise
        return group

    def preexec(self) -> Callable[[], None]:
        return _joiner([str(self.path / "cgroup.procs")])

    def oom_killed(self) -> bool:
        return _count(self.path / "memory.events", "oom_kill") > 0

    def close(self) -> None:
        kill = self.path / "cgroup.kill"
        if kill.exists():
            try:
                _write(kill, 1)
            except OSError:
                pass
        _remove([self.path])


def _v2_root() -> Path | None:
    """Our own cgroup v2 folder, when /sys/fs/cgroup is the unified hierarchy with memory+pids."""
    if _mount_type("/sys/fs/cgroup") != "cgroup2":
        return None
    try:
        line = next(l for l in Path("/proc/self/cgroup").read_text().splitlines() if l.startswith("0::"))
    except (OSError, StopIteration):
        return None
    own = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
    try:
        enabled = (own / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            # Only possible in a cgroup without processes of its own (the "no internal
            # processes" rule), e.g. a delegated service cgroup; harmless to try.
            wanted = " ".join(f"+{c}" for c in ("memory", "pids", "cpu")
                              if c in (own / "cgroup.controllers").read_text().split())
            _write(own / "cgroup.subtree_control", wanted)
    except OSError:
        return None
    return own


# ---------------------------------------------------------------- cgroup v1

class _V1Group(JobGroup):
    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths

    @classmethod
    def create(cls, roots: dict[str, Path], limits: JobLimits) -> "_V1Group":
        name = f"{_PREFIX}{next(_counter)}"
        group = cls({})
        try:
            for controller, root in roots.items():
                path = root / name
                path.mkdir()
                group.paths[controller] = path
            memory = group.paths["memory"]
            if limits.ram_bytes is not None:
                _write(memory / "memory.limit_in_bytes", limits.ram_bytes)
                if (memory / "memory.memsw.limit_in_bytes").exists():
                    _write(memory / "memory.memsw.limit_in_bytes", limits.ram_bytes)  # no swap
            if "pids" in group.paths and limits.max_processes is not None:
                _write(group.paths["pids"] / "pids.max", limits.max_processes)
            if "cpu" in group.paths and limits.cpus:
                _write(group.paths["cpu"] / "cpu.cfs_period_us", _CPU_PERIOD)
                _write(group.paths["cpu"] / "cpu.cfs_quota_us", int(limits.cpus * _CPU_PERIOD))
        except OSError:
            group.close()
            raise
        return group

    def preexec(self) -> Callable[[], None]:
        return _joiner([str(p / "cgroup.procs") for p in self.paths.values()])

    def oom_killed(self) -> bool:
        memory = self.paths.get("memory")
        return memory is not None and _count(memory / "memory.oom_control", "oom_kill") > 0

    def close(self) -> None:
        for path in self.paths.values():
            _kill_members(path)
        _remove(list(self.paths.values()))


def _v1_roots() -> dict[str, Path]:
    """Writable v1 hierarchies (memory, pids, cpu) at our own position in each."""
    mounts: dict[str, Path] = {}
    try:
        for line in Path("/proc/self/mounts").read_text().splitlines():
            _dev, where, kind, options, *_ = line.split()
            if kind == "cgroup":
                for controller in ("memory", "pids", "cpu"):
                    if controller in options.split(","):
                        mounts.setdefault(controller, Path(where))
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _id, controllers, path = line.split(":", 2)
            for controller in controllers.split(","):
                own[controller] = path
    except (OSError, ValueError):
        return {}
    roots = {}
    for controller, mount in mounts.items():
        folder = mount / own.get(controller, "/").lstrip("/")
        if folder.is_dir() and os.access(folder, os.W_OK):
            roots[controller] = folder
    return roots


# ---------------------------------------------------------------- fallback: rlimits

class _RlimitGroup(JobGroup):
    def __init__(self, limits: JobLimits, nproc: bool) -> None:
        self.limits, self.nproc = limits, nproc

    def rlimits(self) -> list[tuple[int, int]]:
        pairs = []
        if self.limits.ram_bytes is not None:
            pairs.append((resource.RLIMIT_AS, self.limits.ram_bytes))
        if self.nproc and self.limits.max_processes is not None:
            # RLIMIT_NPROC counts the uid's processes everywhere: allow the job its share on
            # top of what the uid runs now (an approximation other jobs can race with).
            pairs.append((resource.RLIMIT_NPROC, _uid_process_count() + self.limits.max_processes))
        return pairs


def _rlimit_pids_mode() -> str:
    return NOT_ENFORCED if os.geteuid() == 0 else RLIMIT


def _uid_process_count() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


# ---------------------------------------------------------------- helpers

def _joiner(procs_files: list[str]) -> Callable[[], None]:
    paths = [p.encode() for p in procs_files]

    def join() -> None:
        pid = str(os.getpid()).encode()
        for path in paths:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    return join


def _try_group(create: Callable[[], JobGroup]) -> bool:
    try:
        create().close()
    except OSError:
        return False
    return True


def _kill_members(path: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _remove(paths: list[Path]) -> None:
    # A cgroup can be removed only once its last process has been reaped; give the kernel a moment.
    for path in paths:
        for _ in range(100):
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                _kill_members(path)
                time.sleep(0.02)


def _write(path: Path, value: object) -> None:
    with open(path, "w") as fh:
        fh.write(str(value))


def _count(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _mount_type(where: str) -> str | None:
    """The filesystem type mounted last at `where`, or None."""
    found = None
    try:
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[1] == where:
                found = fields[2]
    except OSError:
        return None
    return found
