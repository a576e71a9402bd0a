"""The loader, substitution, durations, plan building and the fast path."""
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.spec import SpecInvalid, load_spec
from c2d_runner.yamldoc import fastpath
from c2d_runner.spec.durations import format_duration, parse_duration
from c2d_runner.yamldoc.envsubst import MissingVariable, substitute
from c2d_runner.spec.model import MockTarget, PublishedAlgorithm, RawAlgorithm, RemoteTarget, thaw
from c2d_runner.yamldoc.yamlpos import load_yaml

from .corpus import AL, DS, KEY, VALID

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "specs").glob("*.yaml"))


def write(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_spec_is_valid(spec):
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 0, result.output


def test_examples_exist():
    assert len(EXAMPLES) >= 5


def test_positions_of_nested_values():
    data, pos = load_yaml(b"a:\n  b: [1, {c: x}]\n", "f")
    assert data == {"a": {"b": [1, {"c": "x"}]}}
    assert pos.of(("a", "b", 1, "c")) == (2, 14)
    assert pos.of(("a", "b"), key=True) == (2, 3)


def test_small_anchors_and_merge_keys_are_allowed():
    data, _ = load_yaml(b"base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f")
    assert data["use"] == {"x": 1, "y": 3}


def test_dates_stay_text():
    data, _ = load_yaml(b"when: 2024-01-01\n", "f")
    assert data == {"when": "2024-01-01"}


@pytest.mark.parametrize("text,env,expected", [
    ("${A}", {"A": "1"}, "1"),
    ("x-${A}-y", {"A": "v"}, "x-v-y"),
    ("${A:-fallback}", {}, "fallback"),
    ("${A:-}", {}, ""),
    ("$${A}", {"A": "1"}, "${A}"),
    ("no refs", {}, "no refs"),
])
def test_substitute(text, env, expected):
    assert substitute(text, env) == expected


def test_missing_variable_names_it():
    with pytest.raises(MissingVariable, match="environment variable 'NOPE' is not set"):
        substitute("${NOPE}", {})


def test_substituted_values_are_never_reparsed_as_yaml(tmp_path):
    text = VALID + "    algocustomdata:\n      n: ${N}\n      obj: ${OBJ}\n"
    plan = load_spec(write(tmp_path, text), env={"N": "100", "OBJ": "{a: 1}"})
    assert thaw(plan.jobs[0].algocustomdata) == {"n": "100", "obj": "{a: 1}"}


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("10m", 600), ("1h30m", 5400), ("500ms", 0.5),
                                          (5, 5), (2.5, 2.5), (" 1m 5s ", 65)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "10", "ten", "0s", 0, -1, True, "5d"])
def test_parse_duration_refuses(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration():
    assert [format_duration(s) for s in (0.25, 59, 90, 3725)] == ["250ms", "59s", "1m30s", "1h2m5s"]


def test_plan_defaults_and_matrix(tmp_path):
    text = f"""version: 1
name: sweep
defaults: {{environment: cheapest, timeout: 2m}}
jobs:
  gpr:
    dataset: {{did: "{DS}", userdata: {{rows: 10}}}}
    additional_datasets: [{{did: "{DS}", service: access}}]
    algorithm: {{did: "{AL}", service: "2"}}
    algocustomdata: {{n: 1, kernel: rbf}}
    timeout: 30s
    matrix:
      algocustomdata.n: [10, 100]
      algocustomdata.kernel: [rbf, "white noise"]
  other:
    dataset: {{did: "{DS}"}}
    algorithm: {{did: "{AL}"}}
"""
    plan = load_spec(write(tmp_path, text), env={})
    assert plan.name == "sweep" and plan.target == MockTarget()
    names = [j.name for j in plan.jobs]
    assert names == ["gpr[n=10,kernel=rbf]", "gpr[n=10,kernel=white_noise]", "gpr[n=100,kernel=rbf]",
                     "gpr[n=100,kernel=white_noise]", "other"]
    first = plan.jobs[0]
    assert thaw(first.algocustomdata) == {"n": 10, "kernel": "rbf"}
    assert first.matrix_values == (("algocustomdata.n", 10), ("algocustomdata.kernel", "rbf"))
    assert first.template == "gpr" and first.timeout == 30 and first.environment == "cheapest"
    assert first.dataset.service == "compute" and thaw(first.dataset.userdata) == {"rows": 10}
    assert first.additional_datasets[0].service == "access"
    assert first.algorithm == PublishedAlgorithm(did=AL, service="2")
    assert plan.jobs[-1].timeout == 120 and plan.jobs[-1].matrix_values == ()


def test_plan_is_frozen(tmp_path):
    plan = load_spec(write(tmp_path, VALID + "    algocustomdata: {a: [1, 2]}\n"), env={})
    with pytest.raises(Exception):
        plan.jobs[0].name = "x"
    with pytest.raises(TypeError):
        plan.jobs[0].algocustomdata["a"] = 2


def test_raw_algorithm_file_is_read_relative_to_the_spec(tmp_path):
    (tmp_path / "algo.py").write_text("print('hi')\n")
    text = ("version: 1\nname: t\njobs:\n  j:\n" f"    dataset: {{did: \"{DS}\"}}\n"
            "    algorithm:\n      raw:\n        file: algo.py\n"
            "        container: {entrypoint: python $ALGO, image: python, tag: '3.11', checksum: '"
            + "sha256:" + "0" * 64 + "'}\n")
    plan = load_spec(write(tmp_path, text), env={})
    algo = plan.jobs[0].algorithm
    assert isinstance(algo, RawAlgorithm) and algo.code == "print('hi')\n"
    assert algo.source == tmp_path / "algo.py" and algo.entrypoint == "python $ALGO"


def test_consumer_key_reference_is_kept_not_substituted(tmp_path):
    text = VALID + "target: {provider: 'https://provider.example/', chain_id: 8996}\n" \
                   "consumer: {key: '${C2D_PRIVATE_KEY}'}\n"
    plan = load_spec(write(tmp_path, text), env={"C2D_PRIVATE_KEY": KEY})
    assert plan.consumer.env == "C2D_PRIVATE_KEY"
    assert plan.target == RemoteTarget("https://provider.example", "https://provider.example", 8996)
    assert KEY not in repr(plan) and KEY[2:] not in repr(plan)


def test_key_file_expands_the_home_folder(tmp_path, monkeypatch):
    """The README's own `key_file: ~/.ocean/key` means the user's home, not a folder named '~'."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    plan = load_spec(write(tmp_path, VALID + "consumer: {key_file: ~/.ocean/key}\n"), env={})
    assert plan.consumer.file == tmp_path / "home" / ".ocean" / "key"


def test_spec_invalid_message_lists_every_problem(tmp_path):
    with pytest.raises(SpecInvalid) as info:
        load_spec(write(tmp_path, "version: 2\nname: t\njobs: {}\n"), env={})
    assert str(info.value).splitlines() == [
        f"{tmp_path}/spec.yaml:1:10: error: must be 1, got 2 [version]",
        f"{tmp_path}/spec.yaml:3:7: error: must not be empty [jobs]",
    ]


def big_spec(jobs: int) -> str:
    lines = ["version: 1", "name: big", "jobs:"]
    for i in range(jobs):
        lines += [f"  job{i:05d}:", f"    dataset: {{did: \"{DS}\"}}", f"    algorithm: {{did: \"{AL}\"}}",
                  f"    algocustomdata: {{seed: {i}, label: 'run {i}', ratio: {i / 7:.3f}}}",
                  "    expect: {status: finished, outputs: [{name: result.json}]}"]
    return "\n".join(lines) + "\n"


def test_fast_path_gives_the_same_plan_as_the_exact_loader(tmp_path, monkeypatch):
    path = write(tmp_path, big_spec(300))
    assert fastpath.fast_yaml(path.read_bytes()) is not None  # the fast path is really taken
    fast = load_spec(path, env={})
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 1 << 40)
    assert fastpath.fast_yaml(path.read_bytes()) is None
    assert load_spec(path, env={}) == fast


@pytest.mark.parametrize("snippet", ["flag: yes", "n: 1_000", "n: 0x1F", "n: ~", "n: 1e3", "n: 012",
                                     "n: 12:30", "t: !!str x", "a: &x 1", "s: 'a\\tb'", "n: +1",
                                     "n: .inf"])
def test_fast_path_declines_what_could_read_differently(snippet):
    raw = (big_spec(150) + f"extra:\n  {snippet}\n").encode()
    assert len(raw) > fastpath.FAST_PATH_MIN_BYTES
    assert fastpath.fast_yaml(raw) is None


def test_fast_path_declines_duplicate_keys_and_the_exact_loader_reports_them(tmp_path):
    text = big_spec(150) + "  job00003:\n    dataset: {did: x}\n"
    assert fastpath.fast_yaml(text.encode()) is None
    with pytest.raises(SpecInvalid, match="duplicate key 'job00003'"):
        load_spec(write(tmp_path, text), env={})


def test_fast_path_invalid_big_spec_falls_back_to_positioned_errors(tmp_path):
    text = big_spec(150).replace(f'job00100:\n    dataset: {{did: "{DS}"}}', "job00100:\n    dataset: {did: bad}")
    with pytest.raises(SpecInvalid) as info:
        load_spec(write(tmp_path, text), env={})
    [problem] = info.value.diagnostics
    assert (problem.line, problem.path) == (505, "jobs.job00100.dataset.did")


def test_help_and_validate_do_not_import_heavy_packages(tmp_path):
    spec = write(tmp_path, VALID)
    code = ("import sys; from click.testing import CliRunner; from c2d_runner.cli import main;"
            f"r1 = CliRunner().invoke(main, ['--help']); r2 = CliRunner().invoke(main, ['validate', {str(spec)!r}]);"
            "assert r1.exit_code == 0 and r2.exit_code == 0, (r1.output, r2.output);"
            "heavy = [m for m in ('web3', 'eth_account', 'requests', 'werkzeug', 'mockprovider') if m in sys.modules];"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("char", ["\u0085", "\u2028", "\u2029", "\ufeff"])
def test_fast_path_declines_unicode_line_breaks(char):
    raw = (big_spec(150) + f"extra: x{char}y\n").encode()
    assert fastpath.fast_yaml(raw) is None
