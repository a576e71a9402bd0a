"""Test worlds and specs for the runner, built in tmp folders."""
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from c2d_runner.wire import derive_did

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WORLD = ROOT / "mockprovider" / "worlds" / "default"
CHECKSUM = "sha256:" + "1" * 64
TABLE_ADDR = "0x1111111111111111111111111111111111111111"
LOCKED_ADDR = "0x2222222222222222222222222222222222222222"
STATS_ADDR = "0x3333333333333333333333333333333333333333"
OTHER_ADDR = "0x4444444444444444444444444444444444444444"


@dataclass(frozen=True)
class TestWorld:
    path: Path
    table: str
    locked: str
    stats: str
    other: str


def did(address: str) -> str:
    return derive_did(address, 8996)


@pytest.fixture
def world(tmp_path) -> TestWorld:
    """A small world: 'table' trusts only 'stats' and allows raw code; 'locked' allows no raw code."""
    folder = tmp_path / "world"
    (folder / "data").mkdir(parents=True)
    (folder / "algorithms").mkdir()
    shutil.copy(DEFAULT_WORLD / "data" / "iris.csv", folder / "data" / "table.csv")
    shutil.copy(DEFAULT_WORLD / "algorithms" / "stats.py", folder / "algorithms" / "stats.py")
    shutil.copy(DEFAULT_WORLD / "algorithms" / "wordcount.py", folder / "algorithms" / "other.py")
    (folder / "world.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        chain_id: 8996
        datasets:
          - name: table
            nft_address: "{TABLE_ADDR}"
            files: [data/table.csv]
            services:
              - id: compute
                type: compute
                compute:
                  allowRawAlgorithm: true
                  publisherTrustedAlgorithms: [{{algorithm: stats}}]
          - name: locked
            nft_address: "{LOCKED_ADDR}"
            files: [data/table.csv]
            services:
              - id: compute
                type: compute
                compute:
                  allowRawAlgorithm: false
                  publisherTrustedAlgorithms: [{{algorithm: stats}}]
        algorithms:
          - name: stats
            nft_address: "{STATS_ADDR}"
            files: [algorithms/stats.py]
            container: {{entrypoint: python $ALGO, image: python, tag: "3.11", checksum: "{CHECKSUM}"}}
          - name: other
            nft_address: "{OTHER_ADDR}"
            files: [algorithms/other.py]
            container: {{entrypoint: python $ALGO, image: python, tag: "3.11", checksum: "{CHECKSUM}"}}
        environments:
          - {{id: free, priceMin: 0, maxJobDuration: 120, maxJobs: 20}}
        runtimes:
          - image: python
            commands: {{python: this-interpreter}}
        """))
    return TestWorld(folder / "world.yaml", did(TABLE_ADDR), did(LOCKED_ADDR), did(STATS_ADDR), did(OTHER_ADDR))


def raw_job(dataset: str, code: str, extra: str = "") -> str:
    """A job block running inline Python `code` on `dataset`."""
    body = textwrap.indent(textwrap.dedent(code).strip() + "\n", " " * 12)
    return (f"    dataset: {{did: \"{dataset}\"}}\n"
            "    algorithm:\n      raw:\n        code: |\n" + body +
            f"        container: {{entrypoint: python $ALGO, image: python, tag: '3.11', checksum: '{CHECKSUM}'}}\n"
            + extra)


def write_spec(folder: Path, name: str, jobs: str, target: str | None = "world", extra: str = "") -> Path:
    """A spec file in `folder`; target 'world' means the test world next to it."""
    head = f"version: 1\nname: {name}\n"
    if target == "world":
        head += "target: {mock: world/world.yaml}\n"
    elif target:
        head += f"target: {target}\n"
    path = folder / f"{name}.yaml"
    path.write_text(head + extra + "jobs:\n" + jobs)
    return path


def runs_of(folder: Path, pattern: str) -> list[Path]:
    """Paths under run folders matching `pattern`, not through the `latest` link of each spec."""
    return [p for p in folder.glob(pattern) if "latest" not in p.relative_to(folder).parts]
