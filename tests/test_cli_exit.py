"""c2d's quick exit: output flushed, atexit run, exit code kept; the normal exit while a thread runs."""
from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_quick_exit_flushes_buffered_output_and_runs_atexit():
    done = _run("import atexit, sys\nfrom c2d_runner.cli import quick_exit\n"
                "atexit.register(lambda: print('atexit ran'))\n"
                "sys.stdout.write('buffered ' * 1000)\nsys.stderr.write('err')\nquick_exit(5)\n")
    assert done.returncode == 5
    assert done.stdout.startswith("buffered ") and done.stdout.endswith("atexit ran\n")
    assert done.stderr == "err"


def test_quick_exit_leaves_the_normal_way_while_a_thread_runs():
    done = _run("import threading, time\nfrom c2d_runner.cli import quick_exit\n"
                "threading.Thread(target=lambda: (time.sleep(0.2), print('thread finished'))).start()\n"
                "quick_exit(3)\n")
    assert (done.returncode, done.stdout) == (3, "thread finished\n")


def test_quick_exit_leaves_the_normal_way_while_a_child_runs():
    done = _run("import subprocess, sys\nfrom c2d_runner.cli import _child_running\n"
                "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
                "print(_child_running())\nchild.kill(); child.wait()\nprint(_child_running())\n")
    assert done.stdout.split() == ["True", "False"]


def test_the_console_script_keeps_exit_codes():
    done = subprocess.run([sys.executable, "-m", "c2d_runner.cli", "validate", "/nonexistent/spec.yaml"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "cannot read file" in done.stdout + done.stderr
