"""The one error tree: every error class of the project has a documented exit code."""
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import c2d_runner
import mockprovider
from c2d_runner import exitcodes
from c2d_runner.cli import EXIT_CODES_HELP
from c2d_runner.errors import C2DError, InfrastructureFailure, InvalidInput, JobFailure

ROOT = Path(__file__).resolve().parents[1]

# Exceptions that never reach a user, so they are not C2DErrors: each with the reason.
INTERNAL = {
    "c2d_runner.engine.jobrun.Interrupted": "a Ctrl-C inside a job; the job run turns it into an outcome",
    "c2d_runner.yamldoc.fastpath._Differs": "the fast parser hands the document to the exact loader",
    "mockprovider.executor._ProvisioningFailed": "ends a mock job in a failed status",
    "mockprovider.errors.MockError": "mock route errors: serialised as HTTP answers",
    "mockprovider.aquarius.QueryError": "becomes Aquarius' 400 answer to a query",
    "mockprovider.store.NonceRejected": "becomes the Provider's 400 answer",
    "mockprovider.store.OrderInvalid": "becomes the Provider's order_invalid answer",
    "mockprovider.store.AgreementInUse": "becomes operator-service's answer for an agreementId a running job has",
    "mockprovider.payment.OrderRefused": "an order the chain does not back: the Provider's order_invalid answer",
    "mockprovider.store.EnvironmentFull": "becomes the Provider's answer for a busy environment",
    "mockprovider.node.errors.NodeError": "mock Ocean Node route errors: serialised as the node's HTTP answers",
    "mockprovider.node.envs.ResourceRefused": "becomes the node's 400 answer to a start",
    "mockprovider.node.escrow.LockRefused": "the node would not lock escrow funds: its 400 answer to a paid start",
    "mockprovider.node_runtime.ProvisioningError": "ends a mock node job at 31 (data provisioning failed)",
    "mockprovider.urlfetch.FetchFailed": "a URL dataset the mock cannot fetch: the node job ends at 31",
    "mockprovider.http.JsonTooDeep": "a request body nested too deeply: the mock's 400 answer",
}


def project_modules():
    for package in (c2d_runner, mockprovider):
        yield package
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                yield importlib.import_module(info.name)


def project_exceptions() -> set[type]:
    found = set()
    for module in project_modules():
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.split(".")[0] in ("c2d_runner", "mockprovider"):
                found.add(value)
    return found


def qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def readme_exit_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(code): meaning.strip() for code, meaning in re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.M)}


def test_readme_table_matches_exitcodes_module_and_help_epilog():
    table = readme_exit_codes()
    constants = {v for k, v in vars(exitcodes).items() if k.isupper()}
    assert set(table) == constants == {0, 1, 2, 3}
    assert {int(n) for n in re.findall(r"^  (\d)  ", EXIT_CODES_HELP, re.M)} == constants
    assert "infrastructure" in table[exitcodes.INFRASTRUCTURE] and "invalid" in table[exitcodes.INVALID]


def test_every_user_facing_error_has_a_code_of_the_readme_table():
    codes = set(readme_exit_codes()) - {exitcodes.OK}
    classes = project_exceptions()
    user_facing = {c for c in classes if issubclass(c, C2DError) and c is not C2DError}
    assert len(user_facing) >= 30, sorted(map(qualified, user_facing))  # the walk found the tree
    for cls in user_facing:
        assert cls.exit_code in codes, qualified(cls)
        # Chosen on purpose: by the class itself or an ancestor below the root, never the root's default.
        assert any("exit_code" in vars(k) for k in cls.__mro__[:cls.__mro__.index(C2DError)]), qualified(cls)


def test_errors_outside_the_tree_are_the_known_internal_ones():
    outside = {qualified(c) for c in project_exceptions() if not issubclass(c, C2DError)}
    internal = {name for name in outside
                if any(name == known or issubclass_by_name(name, known) for known in INTERNAL)}
    assert outside == internal, f"not a C2DError and not listed as internal: {sorted(outside - internal)}"
    assert set(INTERNAL) <= outside  # the list names only classes that exist


def issubclass_by_name(name: str, base: str) -> bool:
    classes = {qualified(c): c for c in project_exceptions()}
    return name in classes and base in classes and issubclass(classes[name], classes[base])


@pytest.mark.parametrize("name, code", [
    ("c2d_runner.yamldoc.diagnostics.SpecInvalid", 2), ("c2d_runner.yamldoc.envsubst.MissingVariable", 2),
    ("c2d_runner.engine.runner.UsageError", 2), ("c2d_runner.connect.TargetError", 2),
    ("c2d_runner.engine.records.JobRecordNotFound", 2), ("c2d_runner.engine.journal.RunFolderBusy", 2),
    ("c2d_runner.scaffold.ScaffoldExists", 2), ("mockprovider.world.WorldInvalid", 2),
    ("mockprovider.faults.UnknownFaultProfile", 2), ("c2d_runner.ocean.errors.WalletError", 2),
    ("c2d_runner.ocean.errors.ConfigError", 2), ("c2d_runner.engine.resolve.InfrastructureError", 3),
    ("mockprovider.server.MockOceanError", 3), ("mockprovider.sandbox.SandboxUnavailable", 3),
    ("mockprovider.sandbox.UnknownSandbox", 2), ("c2d_runner.engine.lock.LockUnreadable", 2),
    ("c2d_runner.ocean.protocol.UnknownService", 3), ("c2d_runner.ocean.node.outputs.UnsafeArchive", 1),
    ("c2d_runner.pytest_items.JobFailed", 1),
    ("c2d_runner.ocean.errors.OceanError", 1), ("c2d_runner.ocean.errors.AssetNotConsumable", 1),
    ("c2d_runner.ocean.errors.ComputeTimeout", 1), ("c2d_runner.engine.starting.StartUnknown", 3),
])
def test_codes_of_the_main_classes(name, code):
    classes = {qualified(c): c for c in project_exceptions()}
    assert classes[name].exit_code == code


def test_categories():
    assert (JobFailure.exit_code, InvalidInput.exit_code, InfrastructureFailure.exit_code) == (1, 2, 3)


@pytest.mark.parametrize("kwargs, code", [
    ({"status": None}, 3), ({"status": 503}, 3), ({"status": 500}, 3), ({"status": 404}, 1), ({"status": 400}, 1),
    ({"status": 404, "not_ocean": True}, 3),
])
def test_a_service_error_code_depends_on_what_happened(kwargs, code):
    from c2d_runner.ocean.errors import AquariusError, ProviderError

    assert ProviderError("x", **kwargs).exit_code == code
    assert AquariusError("x", **kwargs).exit_code == code


def test_fault_profile_names_agree_everywhere():
    import json

    from c2d_runner.cli import serve
    from mockprovider.faults import PROFILES

    spec = json.loads((ROOT / "schemas" / "job-spec.schema.json").read_text())
    world = json.loads((ROOT / "schemas" / "world.schema.json").read_text())
    [faults_option] = [p for p in serve.params if p.name == "faults"]
    names = list(PROFILES)
    assert spec["$defs"]["target"]["oneOf"][1]["properties"]["faults"]["enum"] == names
    assert world["$defs"]["faultProfile"]["enum"] == names
    assert list(faults_option.type.choices) == names


def test_errors_module_is_pure():
    import ast

    tree = ast.parse((ROOT / "c2d_runner" / "errors.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "c2d_runner"}
