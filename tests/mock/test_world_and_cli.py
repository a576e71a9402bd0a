"""World files (bundled default, bad files) and the `c2d mock serve` command."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from c2d_runner.cli import main
from mockprovider import WorldInvalid, load_world

FIXED_DIDS = {
    "iris": "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e",
    "corpus": "did:op:f6c1c1baee952b2601f14cea2718d0892944c466e5d3fa37b757e3e7a9cf6b4c",
    "stats": "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92",
    "wordcount": "did:op:963617b402cd049f8127223c3f467f32e260f86ef7d4c7cf3b787cb811329a53",
    "fail": "did:op:db43054613262fcd3364ee0228ee1e024784c927431f2e04911fb3966bf0161e",
}


def test_default_world_has_the_fixed_dids():
    world = load_world()
    dids = {a.name: a.did for a in world.assets}
    assert {k: dids[k] for k in FIXED_DIDS} == FIXED_DIDS
    assert world.chain_id == 8996 and world.trust_policy == "provider-py"
    assert [e.id for e in world.environments] == ["ocean-compute", "ocean-compute-priced"]
    private = next(a for a in world.datasets if a.name == "private")
    assert private.nft_state == 0 and private.allow


def test_bad_world_lists_every_problem_with_positions(tmp_path):
    path = tmp_path / "world.yaml"
    path.write_text(
        "version: 1\nchain_id: 8996\ndatasets:\n  - name: x\n    nft_address: '0x1230000000000000000000000000000000000000'\n"
        "    files: [nope.csv]\n    services:\n      - id: compute\n        type: compute\n"
        "        compute: {publisherTrustedAlgorithms: [{algorithm: ghost}]}\nalgorithms: []\nenvironments: [{id: e}]\n")
    with pytest.raises(WorldInvalid) as info:
        load_world(path)
    text = str(info.value)
    assert "2 problem(s)" in text
    assert re.search(r"world.yaml:6:\d+: error: file 'nope.csv' not found .*\[datasets\[0\]\.files\[0\]\]", text)
    assert "no algorithm named 'ghost' in this world" in text


def test_schema_errors_come_with_line_and_column(tmp_path):
    path = tmp_path / "world.yaml"
    path.write_text("version: 1\nchain_id: zero\ndatasets: []\nalgorithms: []\nenvironments: [{id: e}]\n")
    with pytest.raises(WorldInvalid, match=r"world.yaml:2:\d+: error: .*chain_id"):
        load_world(path)


def test_cli_bad_world_exits_2_and_starts_nothing(tmp_path):
    path = tmp_path / "world.yaml"
    path.write_text("version: 1\n")
    result = CliRunner().invoke(main, ["mock", "serve", "--world", str(path), "--port", "0"])
    assert result.exit_code == 2
    assert "Error: invalid world" in result.output


def test_cli_serve_subprocess_prints_url_and_assets_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "c2d_runner.cli", "mock", "serve", "--port", "0", "--state-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        url = re.search(r"ready at (http://127\.0\.0\.1:\d+)", first).group(1)
        lines = [proc.stdout.readline() for _ in range(6)]
        assert any(FIXED_DIDS["iris"] in line and "iris" in line for line in lines)
        assert requests.get(url, timeout=5).json()["software"] == "Provider"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_fault_profile_names_agree_everywhere():
    import json

    from c2d_runner.cli import serve
    from mockprovider import faults

    option = next(p for p in serve.params if p.name == "faults")
    assert list(option.type.choices) == list(faults.PROFILES)
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "world.schema.json").read_text())
    assert schema["$defs"]["faultProfile"]["enum"] == list(faults.PROFILES)


def test_killed_server_restarted_reports_its_running_job_failed(tmp_path):
    """SIGKILL mid-job (no clean shutdown at all), then a new server on the same state dir."""
    from tests.mock.helpers import Consumer, sleeper_meta

    def serve():
        proc = subprocess.Popen([sys.executable, "-m", "c2d_runner.cli", "mock", "serve", "--port", "0",
                                 "--state-dir", str(tmp_path)], stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        return proc, re.search(r"ready at (http://\S+)", proc.stdout.readline()).group(1)

    proc, url = serve()
    try:
        c = Consumer(url)
        job = c.run(FIXED_DIDS["iris"], sleeper_meta(60))
        assert c.wait(job["jobId"], until={40, 31, 32, 70})["status"] == 40
    finally:
        proc.kill()
        proc.wait()
    proc, url = serve()
    try:
        c = Consumer(url)
        dead = c.status(job["jobId"]).json()[0]
        assert dead["status"] == 32 and dead["statusText"] == "Algorithm provisioning failed" and dead["dateFinished"]
        log = c.result(job["jobId"], len(dead["results"]) - 1).text
        assert "restarted while this job was at status 40" in log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_the_mock_never_imports_the_client_or_the_engine():
    code = ("import sys, mockprovider, mockprovider.app, mockprovider.server, mockprovider.executor; "
            "bad = [m for m in sys.modules if m.startswith(('c2d_runner.ocean', 'c2d_runner.engine'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_mock_that_cannot_listen_leaves_no_state_folder(tmp_path, monkeypatch):
    import socket
    import tempfile

    from mockprovider import MockOcean, MockOceanError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where its temporary state would go
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(MockOceanError, match="cannot listen"):
            MockOcean(port=taken.getsockname()[1]).start()
    assert list(tmp_path.iterdir()) == []
