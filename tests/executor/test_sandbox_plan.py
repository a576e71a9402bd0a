"""Which host paths the sandbox binds for a runtime, and the bwrap command line it builds."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from mockprovider import sandbox as sb


def _fake_interpreters(root: Path) -> tuple[Path, Path, Path]:
    base = root / "pythons" / "3.11"
    (base / "bin").mkdir(parents=True)
    (base / "bin" / "python3.11").write_text("#!fake")
    os.symlink("python3.11", base / "bin" / "python3")
    linked = root / "envs" / "linked"
    (linked / "bin").mkdir(parents=True)
    os.symlink(base / "bin" / "python3", linked / "bin" / "python")
    (linked / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\n")
    copied = root / "envs" / "copied"
    (copied / "bin").mkdir(parents=True)
    (copied / "bin" / "python").write_text("#!fake copy")
    (copied / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\n")
    return base, linked, copied


def test_symlinked_venv_binds_venv_and_base_prefix(tmp_path):
    base, linked, _ = _fake_interpreters(tmp_path)
    assert set(sb.runtime_paths([str(linked / "bin" / "python")])) == {linked, base}


def test_copied_venv_finds_base_through_pyvenv_cfg(tmp_path):
    base, _, copied = _fake_interpreters(tmp_path)
    assert set(sb.runtime_paths([str(copied / "bin" / "python")])) == {copied, base}


def test_prefix_holding_a_private_path_binds_only_the_program(tmp_path):
    base, linked, _ = _fake_interpreters(tmp_path)
    job_dir = linked / "state" / "jobs" / "j1"
    paths = sb.runtime_paths([str(linked / "bin" / "python")], exclude=[job_dir])
    assert linked not in paths and linked / "bin" / "python" in paths and base in paths


def test_broad_prefixes_and_system_dirs_are_never_bound():
    assert sb.runtime_paths(["/opt/python"]) == (Path("/opt/python"),)
    assert sb.runtime_paths(["/usr/bin/python3", "/bin/sh"]) == ()


def test_bwrap_command_line(tmp_path):
    data, work = tmp_path / "data", tmp_path / "sandbox"
    data.mkdir()
    plan = sb.SandboxPlan(sb.BWRAP, data, work, (Path(sys.prefix),), allow_network=False)
    cmd = sb.wrap(plan, ["/x/python", "/data/transformations/algorithm"], {"VOLUME": "/data"})
    # The options, host paths included, go through `--args FD`: the command line names none.
    assert cmd.argv[1] == "--" and cmd.argv[-2:] == ("/x/python", "/data/transformations/algorithm")
    assert not any(str(tmp_path) in arg for arg in cmd.argv)
    options = _options(cmd)
    assert "--unshare-net" in options and "--clearenv" in options and "--die-with-parent" in options
    assert options[options.index("--bind") + 1:options.index("--bind") + 3] == [str(data), "/data"]
    assert options.index("--remount-ro") > options.index("--bind")
    assert options[options.index("--setenv"):options.index("--setenv") + 3] == ["--setenv", "VOLUME", "/data"]
    assert cmd.env == {"PATH": "/usr/bin:/bin"} and cmd.cwd == "/"
    assert (work / "etc" / "passwd").read_text().startswith("algorithm:x:1000:1000:")
    open_net = sb.wrap(sb.SandboxPlan(sb.BWRAP, data, work, (), allow_network=True), ["/x"], {})
    assert "--unshare-net" not in _options(open_net) and "/etc/resolv.conf" in _options(open_net)


def _options(cmd: sb.WrappedCommand) -> list[str]:
    return cmd.args_file.read_bytes().decode().split("\0")[:-1]


def test_none_mode_runs_in_the_job_folder(tmp_path):
    plan = sb.SandboxPlan(sb.NONE, tmp_path / "data", tmp_path / "sandbox", (), allow_network=False)
    cmd = sb.wrap(plan, ["/x/python", "algo"], {"A": "1"})
    assert cmd.argv == ("/x/python", "algo") and cmd.env == {"A": "1"} and cmd.cwd == str(tmp_path)
