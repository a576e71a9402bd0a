"""Resume and run-folder rules: what an earlier attempt did decides what may be reused."""
import json
import signal
import subprocess

from c2d_runner.engine.journal import Journal, RunFolderBusy, hold_run_folder

from .conftest import raw_job, write_spec
from .test_robustness import C2D, events, run_folder, wait_for
from .test_run import c2d

SLEEPER = """
import time
print("sleeping", flush=True)
time.sleep(60)
"""


def test_resume_does_not_reuse_a_job_the_run_stopped(tmp_path, world):
    spec = write_spec(tmp_path, "stopped", "  sleepy:\n" + raw_job(world.table, SLEEPER, extra="    timeout: 1s\n"))
    assert c2d("run", spec, cwd=tmp_path).exit_code == 1
    folder = run_folder(tmp_path, "stopped")
    first = [e["job_id"] for e in events(folder) if e["event"] == "started"]
    resumed = c2d("run", spec, "--resume", folder, "--json", tmp_path / "r.json", cwd=tmp_path)
    assert resumed.exit_code == 1  # timed out again: a stopped job is never reported as passed
    job = json.loads((tmp_path / "r.json").read_text())["jobs"][0]
    assert job["outcome"] == "error" and job["error"].startswith("timed out")
    started = [e["job_id"] for e in events(folder) if e["event"] == "started"]
    assert len(started) == 2 and started[0] == first[0] and started[1] != first[0]


def test_a_live_run_folder_is_refused_to_other_processes(tmp_path, world):
    spec = write_spec(tmp_path, "live", "  sleepy:\n" + raw_job(world.table, SLEEPER))
    proc = subprocess.Popen(C2D + ["run", str(spec), "-q"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        folder = wait_for(lambda: run_folder(tmp_path, "live"))
        [job_id] = wait_for(lambda: [e["job_id"] for e in events(folder) if e["event"] == "started"])
        status = c2d("status", job_id, cwd=tmp_path)
        assert status.exit_code == 2 and "is in progress in another process" in status.output
        again = c2d("run", spec, "--resume", folder, cwd=tmp_path)
        assert again.exit_code == 2 and "is in progress in another process" in again.output
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    # Once the run is over the job can be asked about: the live run was not disturbed by the refusals.
    assert json.loads(c2d("status", job_id, cwd=tmp_path).output)["stopreq"] == 1


def test_hold_run_folder_is_exclusive(tmp_path):
    first = hold_run_folder(tmp_path)
    try:
        try:
            hold_run_folder(tmp_path)
        except RunFolderBusy:
            pass
        else:
            raise AssertionError("a second holder was let in")
    finally:
        first.close()
    hold_run_folder(tmp_path).close()


def test_a_torn_journal_line_does_not_swallow_the_next_event(tmp_path):
    journal = Journal(tmp_path)
    journal.write("run", run_id="r")
    with open(journal.path, "a") as out:
        out.write('{"event": "started", "job": "a", "job_')  # killed mid-write
    journal.repair()
    journal.write("starting", job="b", orders={"dataset": "0x1"})
    assert [e["event"] for e in journal.events()] == ["run", "starting"]
    assert journal.jobs()["b"].orders == {"dataset": "0x1"}


def test_check_without_a_lock_starts_nothing(tmp_path, world):
    spec = write_spec(tmp_path, "nolock", f"  j:\n    dataset: {{did: \"{world.table}\"}}\n"
                                          f"    algorithm: {{did: \"{world.stats}\"}}\n")
    result = c2d("run", spec, "--check", cwd=tmp_path)
    assert result.exit_code == 2 and "--check needs a readable lock file" in result.output
    assert not (tmp_path / "runs").exists()


def test_resume_removes_the_temporary_file_of_a_download_a_kill_cut_short(tmp_path, world):
    spec = write_spec(tmp_path, "quick", "  quick:\n" + raw_job(world.table, "print('hi')\n"))
    assert c2d("run", spec, cwd=tmp_path).exit_code == 0
    folder = run_folder(tmp_path, "quick")
    [logs] = folder.glob("quick/logs")
    stale = logs / ".c2d-0123456789abcdef.tmp"  # what atomic_file leaves when SIGKILL hits mid-download
    stale.write_bytes(b"half")
    assert c2d("run", spec, "--resume", folder, cwd=tmp_path).exit_code == 0
    assert not stale.exists()
    assert [e["files"] for e in events(folder) if e["event"] == "cleaned"] == [["quick/logs/.c2d-0123456789abcdef.tmp"]]
