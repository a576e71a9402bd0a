"""Every YAML block and `c2d` command of the README runs (issue 14: its main example did not).

- YAML blocks are specs: each runs on the bundled mock and must pass.
- `sh` blocks run line by line in a copy of `specs/`, `&&` step by step: `cd` changes folder,
  `c2d ...` runs the real command, `pytest` runs the folder's tests. `SPEC` stands for
  `specs/stats-customdata.yaml`; `specs/x.yaml` is the README's example of a broken spec and is written
  with the two mistakes the README shows, whose messages must be the README's own.
- Commands that need a real provider (a `--target` URL on example hosts) are checked for parse and
  usage only: click must accept every option, nothing is run.
- The set-up commands (`python3 -m venv`, `. .venv/bin/activate`, `pip install`) are not run here:
  `.ci/run` runs the second verbatim, and `.ci/pythons` runs both on a clean clone in a fresh
  virtualenv with each other Python of the supported range.
"""
from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.wire import TEST_CONSUMER_KEY

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
SETUP_STEPS = ("python3 -m venv", ". .venv/bin/activate", "pip install")
PLACEHOLDER_SPEC = "specs/stats-customdata.yaml"
# The README's broken spec: an unknown key at 7:5 and a bad duration at 9:14, as its output block shows.
BROKEN_SPEC = """\
version: 1
name: x
jobs:
  j:
    dataset: {did: "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"}
    algorithm: {did: "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"}
    algocustomdta: {precision: 3}
    expect: {status: finished}
    timeout: 10 minutes
"""


def blocks(language: str) -> list[str]:
    """The README's fenced blocks in `language` ('' for plain ones)."""
    return [body for lang, body in FENCE.findall(README) if lang == language]


def command_lines(block: str) -> list[str]:
    """The command lines of an sh block, comments dropped."""
    return [line.split(" #", 1)[0].strip() for line in block.splitlines() if line.split(" #", 1)[0].strip()]


def test_the_readme_has_what_this_file_tests():
    assert len(blocks("yaml")) >= 1 and sum(len(command_lines(b)) for b in blocks("sh")) >= 10


def test_toml_blocks_are_a_project_config_with_named_targets(tmp_path, monkeypatch):
    from c2d_runner.projectconfig import find_config

    for text in blocks("toml"):
        (tmp_path / "pyproject.toml").write_text(text)
        config = find_config(tmp_path)
        assert config.targets, text
        for name in config.targets:
            monkeypatch.chdir(tmp_path)
            from c2d_runner.connect import parse_target

            assert parse_target(name) is not None


@pytest.mark.parametrize("index", range(len(blocks("yaml"))))
def test_yaml_block_runs_on_the_mock(index, tmp_path, monkeypatch):
    spec = tmp_path / "readme.yaml"
    spec.write_text(blocks("yaml")[index], encoding="utf-8")
    monkeypatch.setenv("C2D_PRIVATE_KEY", TEST_CONSUMER_KEY)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", str(spec), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _needs_a_real_provider(argv: list[str]) -> bool:
    return any(".example" in arg for arg in argv)


def _serve(argv: list[str], cwd: Path) -> None:
    """`c2d mock serve ...` runs until stopped: start it (on a free port), wait until it is ready, stop it."""
    proc = subprocess.Popen([sys.executable, "-m", "c2d_runner.cli", *argv, "--port", "0"], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("mock Ocean ready at http://127.0.0.1:"), first + proc.stdout.read()
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    assert proc.returncode == 0


def _c2d(argv: list[str], cwd: Path):
    """Run one c2d command line in `cwd` (globs expanded as a shell would); parse only when it needs a provider."""
    expanded = []
    for arg in argv:
        arg = PLACEHOLDER_SPEC if arg == "SPEC" else arg
        matches = sorted(glob.glob(arg, root_dir=cwd)) if any(c in arg for c in "*?[") else []
        expanded += matches or [arg]
    if _needs_a_real_provider(expanded):
        with main.make_context("c2d", list(expanded)) as ctx:  # parses and checks usage; runs nothing
            sub = main.get_command(ctx, expanded[0])
            sub.make_context(expanded[0], expanded[1:], parent=ctx)
        return None
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, expanded, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.mark.parametrize("block", blocks("sh"), ids=lambda b: command_lines(b)[0][:40])
def test_sh_block_runs(block, tmp_path):
    """The block's lines in order, in one folder (a `cd` carries over to the next line)."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    cwd = tmp_path
    for line in command_lines(block):
        setup = line.startswith(SETUP_STEPS)
        for step in (s.strip() for s in line.split("&&")):
            cwd = _step(step, cwd, after_setup=setup)


def _step(step: str, cwd: Path, *, after_setup: bool) -> Path:
    """Run one step of a README command line in `cwd`; the folder the next step runs in."""
    completion = re.fullmatch(r'(?:eval "\$\()?_C2D_COMPLETE=(\w+) c2d(?:\)")?(?: > \S+)?', step)
    if completion:  # the completion script click prints for that shell (written nowhere)
        c2d_script = Path(sys.executable).with_name("c2d")
        done = subprocess.run([str(c2d_script)], env={**os.environ, "_C2D_COMPLETE": completion.group(1)},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "_C2D_COMPLETE" in done.stdout, done.stdout + done.stderr
        return cwd
    argv = shlex.split(step)
    if step.startswith(SETUP_STEPS) or (after_setup and argv == ["pytest"]):
        return cwd  # set-up steps, and the suite itself: .ci/run and .ci/pythons run these
    if argv[0] == "cd":
        return cwd / argv[1]
    if argv[0] == "pytest":
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv[1:]],
                              cwd=cwd, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return cwd
    assert argv[0] == "c2d", f"README step {step!r} is neither run nor explained here"
    if argv[1:3] == ["mock", "serve"]:
        _serve(argv[1:], cwd)
        return cwd
    broken = any(arg.endswith("x.yaml") for arg in argv)
    if broken:
        (cwd / "specs" / "x.yaml").write_text(BROKEN_SPEC)
    try:
        result = _c2d(argv[1:], cwd)
    finally:
        if broken:
            (cwd / "specs" / "x.yaml").unlink()
    if result is None:
        return cwd
    if broken:  # the README's broken example: exit 2 and the very messages its output block shows
        assert result.exit_code == 2, result.output
        shown = [line for line in blocks("")[0].splitlines() if "x.yaml" in line]
        if "--format" not in argv:
            assert shown and all(line in result.output for line in shown), result.output
    else:
        assert result.exit_code == 0, f"{step}:\n{result.output}"
    return cwd


def test_the_validate_output_shown_is_what_validate_prints(tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "x.yaml").write_text(BROKEN_SPEC)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "specs/x.yaml"])
    shown = [line for line in blocks("")[0].splitlines() if line.startswith("specs/x.yaml")]
    assert result.exit_code == 2 and shown == [line for line in result.stdout.splitlines() if "x.yaml:" in line]
