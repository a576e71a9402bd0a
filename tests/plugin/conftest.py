"""Fixtures for the plugin tests: a scaffolded c2d project inside pytester's folder."""
from __future__ import annotations

import textwrap

import pytest

from c2d_runner import scaffold
from c2d_runner.wire import derive_did

DATASET_DID = derive_did(scaffold.DATASET_NFT, scaffold.CHAIN_ID)
ALGORITHM_DID = derive_did(scaffold.ALGORITHM_NFT, scaffold.CHAIN_ID)

# Wrong on purpose: 14 rows, and the algorithm never prints "zebra".
FAILING_SPEC = f"""\
version: 1
name: failing
target: {{mock: ../mock/world.yaml}}
jobs:
  wrong-rows:
    dataset: {{did: "{DATASET_DID}"}}
    algorithm: {{did: "{ALGORITHM_DID}"}}
    expect:
      outputs:
        - name: summary.json
          json: {{rows: 15}}
      logs: {{contains: zebra}}
"""

# Two problems, at known places: line 6 col 20 (a bad DID), line 8 col 14 (a bad duration).
INVALID_SPEC = f"""\
version: 1
name: broken
target: {{mock: ../mock/world.yaml}}
jobs:
  j:
    dataset: {{did: "did:op:nothex"}}
    algorithm: {{did: "{ALGORITHM_DID}"}}
    timeout: 10 minutes
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester, with `c2d init` already run in its folder (3 spec jobs + 3 tests that pass)."""
    scaffold.scaffold(pytester.path)
    return pytester


def write(pytester: pytest.Pytester, name: str, text: str) -> None:
    """Write a file of the test project (dedented)."""
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
