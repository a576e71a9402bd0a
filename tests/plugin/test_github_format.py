"""`c2d validate --format github`: GitHub Actions annotations with the toolkit's escaping."""
from __future__ import annotations

from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.github_annotations import error_annotation, escape_data, escape_property
from c2d_runner.spec import Diagnostic


def test_escaping_of_messages_and_properties():
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("C:\\x,y%\n") == "C%3A\\x%2Cy%25%0A"


def test_annotation_of_a_diagnostic():
    d = Diagnostic("specs/a,b:c.yaml", 7, 5, "unknown key 'x'\nsecond line", "jobs.j.x")
    assert error_annotation(d) == ("::error file=specs/a%2Cb%3Ac.yaml,line=7,col=5,title=c2d validate::"
                                   "unknown key 'x'%0Asecond line [jobs.j.x]")


def test_validate_prints_annotations_and_exits_2(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\nname: bad\njobs:\n  j:\n    dataset: {did: \"did:op:x\"}\n"
                    "    algorithm: {did: \"did:op:y\"}\n")
    result = CliRunner().invoke(main, ["validate", "--format", "github", str(spec)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("::error ")]
    assert len(lines) == 2
    assert lines[0].startswith(f"::error file={escape_property(str(spec))},line=5,col=20,title=c2d validate::must be a DID")
    assert lines[0].endswith("[jobs.j.dataset.did]")
