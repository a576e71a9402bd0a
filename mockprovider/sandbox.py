"""Isolation for one algorithm process: bubblewrap when it works, a loudly reported plain fallback.

This module knows how to wrap a command line, which host paths a job may see, which resource
limits apply and how to kill what a job started.  It knows nothing about Ocean: the executor
decides what to run and where the job's `data` folder is.  See docs/sandbox.md for what each
mode allows and where it is weaker than a real C2D cluster.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from c2d_runner.errors import InfrastructureFailure, InvalidInput

BWRAP = "bwrap"
NONE = "none"
AUTO = "auto"

# Where the job's data folder appears inside the sandbox; the real pod mounts its volume there.
SANDBOX_VOLUME = "/data"
# The v2 engine runs algorithms as 1000:1000; we map the job to the same ids in its user namespace.
SANDBOX_UID = 1000
SANDBOX_GID = 1000

# Read-only system roots a container image would provide.  /etc is deliberately absent: only a few
# named files are bound (see _etc_binds) so host users, keys and configs stay invisible.
_SYSTEM_DIRS = ("/usr",)
_SYSTEM_MAYBE_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Needed by the dynamic linker to find Debian's multiarch libraries (/usr/lib/x86_64-linux-gnu).
_ETC_ALWAYS = ("/etc/ld.so.cache",)
# Needed for name resolution and TLS, so only bound when the job may use the network.
_ETC_NETWORK = ("/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/ssl",
                "/etc/ca-certificates", "/etc/pki")
# A runtime prefix equal to one of these would expose far more than an interpreter; bind the
# single program file instead.
_TOO_BROAD = frozenset({"/", "/root", "/home", "/etc", "/var", "/tmp", "/work", "/opt", "/srv",
                        "/mnt", "/media", "/run", "/proc", "/sys", "/dev", "/boot", "/usr",
                        "/usr/local"})

_PASSWD = "algorithm:x:{uid}:{gid}:C2D algorithm:/tmp:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n"
_GROUP = "algorithm:x:{gid}:\nnogroup:x:65534:\n"
# A stock image's accounts: nothing for uid 1000, so `id` prints a bare uid=1000 as under Docker.
_PASSWD_IMAGE = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n"
_GROUP_IMAGE = "root:x:0:\nnogroup:x:65534:\n"
_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"


class SandboxUnavailable(InfrastructureFailure, RuntimeError):
    """bubblewrap was asked for explicitly but cannot run here."""


class UnknownSandbox(InvalidInput, ValueError):
    """A sandbox kind (C2D_MOCK_SANDBOX) other than auto, bwrap or none."""


@dataclass(frozen=True)
class ResourceLimits:
    """setrlimit values applied to the job (and inherited by everything it starts)."""

    max_file_bytes: int = 1 << 30        # RLIMIT_FSIZE: one runaway output cannot fill the disk
    max_output_bytes: int = 1 << 30      # all of a job's outputs together; the rest is not published
    max_open_files: int = 1024           # RLIMIT_NOFILE
    # RLIMIT_NPROC counts every process of the *host* uid, so a fixed value would break a busy
    # server account; off unless the operator sets one.  bwrap's PID namespace still contains forks.
    max_processes: int | None = None
    tmp_bytes: int = 256 << 20           # size of the private /tmp tmpfs (bwrap only); it is RAM


@dataclass(frozen=True)
class SandboxPlan:
    """Everything needed to wrap one job's command."""

    kind: str                            # BWRAP or NONE
    data_dir: Path                       # host folder that becomes /data
    work_dir: Path                       # host folder for sandbox support files (never inside data)
    runtime_paths: tuple[Path, ...]      # host paths bound read-only so mapped runtimes can start
    allow_network: bool
    limits: ResourceLimits = ResourceLimits()
    hostname: str = "c2d-job"
    # Paths under /data (relative, e.g. "inputs/data.csv") bound read-only over themselves: a v2
    # node provisions them as root 0644, readable but not writable by the algorithm.
    readonly: tuple[str, ...] = ()
    # v1 gives uid 1000 a passwd entry ("algorithm"); a v2 node's image usually has none for it.
    named_user: bool = True


@dataclass(frozen=True)
class WrappedCommand:
    """A command ready for `popen` (not for subprocess directly: bwrap's options are in args_file)."""

    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    # bwrap reads its options (host paths of the job folder, runtimes, env) from this file through
    # `--args FD`, so its command line, which the job sees as /proc/1/cmdline, names no host path.
    args_file: Path | None = None


def popen(command: WrappedCommand, **kwargs) -> subprocess.Popen:
    """Start a wrapped command, handing bwrap its options file as an inherited descriptor."""
    if command.args_file is None:
        return subprocess.Popen(command.argv, env=command.env, cwd=command.cwd, **kwargs)
    fd = os.open(command.args_file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        argv = [command.argv[0], "--args", str(fd), *command.argv[1:]]
        return subprocess.Popen(argv, env=command.env, cwd=command.cwd, pass_fds=(fd,), **kwargs)
    finally:
        os.close(fd)


def volume_root(kind: str, data_dir: Path) -> str:
    """The path the algorithm uses for its data folder: /data under bwrap, the host path otherwise."""
    return SANDBOX_VOLUME if kind == BWRAP else str(data_dir)


def choose_sandbox(requested: str, limits: ResourceLimits = ResourceLimits()) -> tuple[str, str | None]:
    """Resolve "auto" | "bwrap" | "none" to a working kind plus a warning when isolation is weaker."""
    if requested not in (AUTO, BWRAP, NONE):
        raise UnknownSandbox(f"sandbox must be 'auto', 'bwrap' or 'none', not {requested!r}")
    if requested == NONE:
        return NONE, ("sandbox disabled by configuration: algorithms run as plain host processes "
                      "with the server's user rights, host filesystem and network (see docs/sandbox.md)")
    problem = probe_bwrap(limits)
    if problem is None:
        return BWRAP, None
    if requested == BWRAP:
        raise SandboxUnavailable(f"bubblewrap sandbox requested but unusable: {problem}")
    return NONE, (f"bubblewrap unusable ({problem}); FALLING BACK TO NO SANDBOX: algorithms run as "
                  "plain host processes with the server's user rights, host filesystem and network. "
                  "Install the 'bubblewrap' package and allow user namespaces (see docs/sandbox.md)")


def probe_bwrap(limits: ResourceLimits = ResourceLimits()) -> str | None:
    """Run `true` inside the exact sandbox jobs get; None when it works, else why not."""
    exe = shutil.which(BWRAP)
    if exe is None:
        return "the 'bwrap' program is not installed"
    true_prog = "/usr/bin/true" if os.path.exists("/usr/bin/true") else "/bin/true"
    with tempfile.TemporaryDirectory(prefix="c2d-bwrap-probe-") as tmp:
        data, work = Path(tmp, "data"), Path(tmp, "work")
        data.mkdir()
        work.mkdir()
        plan = SandboxPlan(BWRAP, data, work, (), allow_network=False, limits=limits)
        cmd = wrap(plan, [true_prog], {"PATH": "/usr/bin:/bin"})
        try:
            proc = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=rlimit_preexec(limits))
        except OSError as exc:
            return f"probe failed to start: {exc}"
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "probe timed out"
    if proc.returncode != 0:
        err = stderr.decode("utf-8", "replace").strip().splitlines()
        return f"probe exited {proc.returncode}: {err[-1] if err else 'no message'}"
    return None


def runtime_paths(programs: Iterable[str], exclude: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Host paths to bind read-only so each program (and its symlink chain) exists in the sandbox.

    A venv's `bin/python` is a symlink into a base interpreter prefix: the program must keep its
    own path (that is how Python finds pyvenv.cfg and the venv's packages) and the chain's targets
    must exist too, so every link's prefix (the folder above `bin/`) is bound.  A venv made with
    --copies has no chain; its pyvenv.cfg `home` names the base interpreter instead.  A prefix
    that contains an excluded path (the job folder, the datasets) would let the job read it, so
    only the program file itself is bound then.
    """
    excluded = [Path(os.path.abspath(p)) for p in exclude]
    found: list[Path] = []
    pending = [Path(p) for p in programs]
    seen: set[Path] = set()
    while pending:
        program = pending.pop(0)
        for link in _symlink_chain(program):
            if link in seen:
                continue
            seen.add(link)
            target = _bind_target(link)
            if target is not None and target != link and any(_is_within(x, target) for x in excluded):
                target = link
            if target is not None and target not in found:
                found.append(target)
            if target is not None and target != link:
                pending += _venv_home_programs(target)
    # Drop paths already covered by a bound ancestor, so bwrap does not mount twice.
    return tuple(p for p in found if not any(q != p and _is_within(p, q) for q in found))


def _venv_home_programs(prefix: Path) -> list[Path]:
    """The base interpreters a venv at `prefix` points to through pyvenv.cfg `home`."""
    try:
        lines = (prefix / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            home = Path(value.strip())
            return [p for p in sorted(home.glob("python3*")) if p.is_file()][:1]
    return []


def wrap(plan: SandboxPlan, argv: Sequence[str], env: dict[str, str]) -> WrappedCommand:
    """The command line, environment and cwd that run `argv` under the plan's isolation."""
    if plan.kind == NONE:
        # No namespaces: the job folder is the cwd so the relative paths real algorithms use
        # (data/inputs/...) still resolve, as they do from the pod's WORKDIR /.
        return WrappedCommand(tuple(argv), dict(env), str(plan.data_dir.parent))
    _write_etc(plan.work_dir, plan.named_user)
    args: list[str] = [
        "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", plan.hostname,
        # The job must die with the executor (pdeathsig) and must not reach our terminal (TIOCSTI).
        "--die-with-parent", "--new-session",
        "--cap-drop", "ALL",
        "--clearenv",
    ]
    if _bwrap_supports("--disable-userns"):
        # No user namespaces inside: they are how unprivileged code gets new mount and net powers.
        args.append("--disable-userns")
    if not plan.allow_network:
        args.append("--unshare-net")
    for d in _SYSTEM_DIRS:
        args += ["--ro-bind", d, d]
    for d in _SYSTEM_MAYBE_LINKS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    etc = plan.work_dir / "etc"
    for name in ("passwd", "group", "hosts"):
        args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for path in _ETC_ALWAYS + (_ETC_NETWORK if plan.allow_network else ()):
        args += ["--ro-bind-try", path, path]
    # The private /tmp comes before the runtimes: a runtime that lives under /tmp (a project's
    # .venv in a CI checkout under /tmp) must be bound on top of it, not hidden by it.
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(plan.limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    for path in plan.runtime_paths:
        args += ["--ro-bind", str(path), str(path)]
    args += [  # last, so nothing bound above can shadow the job's own volume
             "--bind", str(plan.data_dir), SANDBOX_VOLUME,
             ]
    for relative in plan.readonly:
        args += ["--ro-bind", str(plan.data_dir / relative), f"{SANDBOX_VOLUME}/{relative}"]
    args += [
             # bwrap's root is a writable tmpfs; freeze it so /, /etc and the mount points are
             # read-only too and only /data and /tmp take writes.
             "--remount-ro", "/",
             "--chdir", "/"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args_file = plan.work_dir / "bwrap.args"
    args_file.write_bytes(b"".join(a.encode("utf-8") + b"\0" for a in args))
    command = [shutil.which(BWRAP) or BWRAP, "--"]
    # bwrap exports PWD after --chdir; a container's process gets no PWD, so env drops it again.
    env_program = "/usr/bin/env" if os.path.exists("/usr/bin/env") else None
    if env_program:
        command += [env_program, "-u", "PWD", "--"]
    # bwrap itself only needs PATH-free absolute paths; give it nothing from the host either.
    return WrappedCommand((*command, *argv), {"PATH": "/usr/bin:/bin"}, "/", args_file)


@functools.lru_cache(maxsize=None)
def _bwrap_supports(option: str) -> bool:
    """Whether this bwrap knows `option` (--disable-userns came with 0.8)."""
    exe = shutil.which(BWRAP)
    if exe is None:
        return False
    try:
        done = subprocess.run([exe, "--help"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return option.encode() in done.stdout + done.stderr


def rlimit_preexec(limits: ResourceLimits, extra: Sequence[tuple[int, int]] = (),
                   join: Callable[[], None] | None = None) -> Callable[[], None]:
    """A preexec_fn that joins the job's cgroup (when given) and applies the limits before exec.

    The values are computed here, in the parent, so the child only makes syscalls: preexec_fn
    runs between fork and exec in a possibly multi-threaded server, where importing or allocating
    could deadlock.
    """
    wanted = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, limits.max_file_bytes),
              (resource.RLIMIT_NOFILE, limits.max_open_files), *extra]
    if limits.max_processes is not None:
        wanted.append((resource.RLIMIT_NPROC, limits.max_processes))
    pairs = []
    for res, value in wanted:
        _soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)     # an unprivileged process may only lower a hard limit
        pairs.append((res, (value, value)))
    setrlimit = resource.setrlimit

    def _apply() -> None:
        if join is not None:
            join()
        for res, value in pairs:
            setrlimit(res, value)

    return _apply


def kill_process_group(pgid: int) -> None:
    """SIGKILL every process in the job's process group; a no-op when it is already gone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _write_etc(work_dir: Path, named_user: bool = True) -> None:
    etc = work_dir / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    passwd, group = (_PASSWD, _GROUP) if named_user else (_PASSWD_IMAGE, _GROUP_IMAGE)
    (etc / "passwd").write_text(passwd.format(uid=SANDBOX_UID, gid=SANDBOX_GID))
    (etc / "group").write_text(group.format(gid=SANDBOX_GID))
    (etc / "hosts").write_text(_HOSTS)


def _symlink_chain(path: Path) -> list[Path]:
    chain = [Path(os.path.abspath(path))]
    for _ in range(40):                      # the kernel's own symlink limit
        current = chain[-1]
        if not current.is_symlink():
            break
        chain.append(Path(os.path.normpath(current.parent / os.readlink(current))))
    return chain


def _bind_target(link: Path) -> Path | None:
    if any(_is_within(link, Path(d)) for d in _SYSTEM_DIRS):
        return None
    for d in _SYSTEM_MAYBE_LINKS:
        if _is_within(link, Path(d)):
            return None
    if _is_within(link, Path("/etc")):
        return link                          # e.g. /etc/alternatives/node: just that entry
    prefix = link.parent.parent if link.parent.name == "bin" else link.parent
    home = os.path.expanduser("~")
    if str(prefix) in _TOO_BROAD or str(prefix) == home or len(prefix.parts) < 3:
        return link
    return prefix


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
