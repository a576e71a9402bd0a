"""A paid Ocean Node start whose answer is lost locks the consumer's funds once: the node takes the
start (its Escrow lock is mined), tests/faultproxy.py drops the answer, and the runner finds the job
by the token in its metadata instead of covering and starting it again. Counted on the chain (Escrow
Lock events) and in the node's job list."""
from __future__ import annotations

import json

import pytest
import requests

from c2d_runner import wire
from tests.chain.conftest import count_spec, require_chain_extra
from tests.engine.test_run import c2d
from tests.faultproxy import DROPPED_AFTER, NO_FAULTS, FaultProxy

PAID_START = "POST /api/services/compute"
KEY_VAR = "C2D_LOST_PAID_START_KEY"


def test_a_paid_start_whose_answer_is_lost_makes_one_job_and_one_escrow_lock(tmp_path, monkeypatch):
    require_chain_extra()
    from mockprovider.node.envs import CLUSTER_HASH

    from c2d_runner.connect import local_chain, mock_ocean

    monkeypatch.setenv(KEY_VAR, wire.TEST_CONSUMER_KEY)
    with local_chain(None, tmp_path / "chain") as handle, \
            mock_ocean(state_dir=tmp_path / "node", chain=handle.chain, protocol="ocean-node") as node, \
            FaultProxy(node.url, rates=NO_FAULTS, script={PAID_START: [DROPPED_AFTER]}) as proxy:
        target = {"provider": proxy.url, "rpc": handle.rpc, "address_file": str(handle.address_file),
                  "protocol": "ocean-node"}
        spec = count_spec(tmp_path, "lostpaid", json.dumps(target), f"{CLUSTER_HASH}-ocean-compute-priced",
                          extra=f'consumer: {{key: "${{{KEY_VAR}}}"}}\n')
        result = c2d("run", spec, "--out", tmp_path / "runs", cwd=tmp_path)
        assert result.exit_code == 0, result.output
        locks = handle.chain.deployed("Escrow").events.Lock().get_logs(from_block=0)
        assert len(locks) == 1
        assert proxy.faults(PAID_START) == {DROPPED_AFTER: 1}  # one paid start sent, its answer lost
        assert "the lost start had taken effect" in result.output
        jobs = requests.get(f"{node.url}/api/services/compute",
                            params={"consumerAddress": wire.address_of(wire.TEST_CONSUMER_KEY)}, timeout=10).json()
        assert len(jobs) == 1 and jobs[0]["payment"]["lockTx"]
