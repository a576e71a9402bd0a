"""No shape of bad spec reaches a traceback: the example specs, mutated systematically.

Every mapping gets an unknown key and every value is swapped for a value of each other type; each
mutant must come back from `check_file` as a plan or as positioned diagnostics, never as an
exception (issue 14, defect 0: `target: {mock: null, bogus: 1}` crashed `c2d validate`).
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from c2d_runner.spec import check_file

SPECS = Path(__file__).resolve().parents[2] / "specs"
# Values of every YAML type, swapped in for each field in turn.
OTHER_VALUES = (None, True, 7, 1.5, "text", [], [1, "a"], {}, {"k": 1})
# Mappings whose keys are the user's own (names, custom data, matrix paths, JSON paths).
FREE_FORM = {"jobs", "algocustomdata", "userdata", "matrix", "json"}
# Targets beyond the examples' own, so every branch of the target alternative is mutated too.
EXTRA_TARGETS = ({"mock": None, "faults": "flaky", "seed": 3},
                 {"provider": "https://p.example", "aquarius": "https://a.example", "chain_id": 1})


def _paths(node, prefix=()):
    """Every path into the document: (path, value)."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _set(doc, path, value):
    out = copy.deepcopy(doc)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def _mutants(doc):
    """(description, path, mutated document) for each mutation of `doc`."""
    for path, node in _paths(doc):
        if isinstance(node, dict):
            yield "unknown key", path, _set(doc, path + ("bogus_key",), 1) if path else {**doc, "bogus_key": 1}
        if path:
            for value in OTHER_VALUES:
                if type(value) is not type(node):
                    yield f"{value!r}", path, _set(doc, path, value)


def _documents():
    for spec in sorted(SPECS.glob("*.yaml")):
        doc = yaml.safe_load(spec.read_text())
        yield spec.name, doc
        if spec.name == "hello.yaml":
            for index, target in enumerate(EXTRA_TARGETS):
                extra = {**doc, "target": target}
                if "provider" in target:
                    extra["consumer"] = {"key": "${C2D_PRIVATE_KEY}"}
                yield f"hello-target{index}", extra


@pytest.mark.parametrize("name,doc", list(_documents()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_mutant_reaches_a_traceback(name, doc, tmp_path):
    (tmp_path / "algorithms").symlink_to(SPECS / "algorithms")
    spec = tmp_path / "mutant.yaml"
    checked = 0
    for change, path, mutant in _mutants(doc):
        description = f"{change} at {'.'.join(map(str, path)) or 'the top'}"
        spec.write_text(yaml.safe_dump(mutant, sort_keys=False))
        try:
            plan, problems = check_file(spec, env={"C2D_PRIVATE_KEY": "0x" + "1" * 64})
        except Exception as exc:  # noqa: BLE001 - any exception is the bug this test looks for
            raise AssertionError(f"{name}: {description}: {type(exc).__name__}: {exc}") from exc
        assert (plan is None) == bool(problems), f"{name}: {description}"
        for problem in problems:
            assert problem.line >= 1 and problem.message, f"{name}: {description}: {problem}"
        if change == "unknown key" and not FREE_FORM.intersection(path):
            assert problems, f"{name}: {description} was accepted"
        checked += 1
    assert checked > 20


def test_unknown_key_in_a_target_alternative_is_positioned(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text((SPECS / "hello.yaml").read_text().replace("version: 1", "version: 1\ntarget: {mock: null, bogus: 1}"))
    plan, problems = check_file(spec)
    assert plan is None
    assert [(p.line, p.message) for p in problems] == [
        (5, "unknown key 'bogus'; expected one of mock, faults, seed, protocol, chain")]


def test_faults_alone_mean_the_default_world(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text((SPECS / "hello.yaml").read_text().replace("version: 1", "version: 1\ntarget: {faults: flaky}"))
    plan, problems = check_file(spec)
    assert problems == []
    assert plan.target.world is None and plan.target.faults == "flaky"


def test_a_provider_without_its_chain_id_is_told_so(tmp_path):
    # Without a protocol the URL may be an Ocean Node, which needs no chain id; a Provider does.
    spec = tmp_path / "s.yaml"
    spec.write_text((SPECS / "hello.yaml").read_text().replace(
        "version: 1", "version: 1\ntarget: {provider: 'https://p.example', protocol: provider}"))
    _, problems = check_file(spec)
    assert any(p.message == "a Provider target needs chain_id (the chain of the assets)" for p in problems), problems


def test_the_fast_path_leaves_the_shared_schema_as_written():
    """fastjsonschema rewrote the cached schema's `$ref`s, so a later matrix check tried the network."""
    import json

    from c2d_runner.yamldoc.schema import load_schema, schema_ok

    before = json.dumps(load_schema("spec"), sort_keys=True)
    schema_ok({"version": 1}, "spec")
    assert json.dumps(load_schema("spec"), sort_keys=True) == before
