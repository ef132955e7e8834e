"""The evidence-source protocol: a further source (as CloudTrail and recorded calls will be) is
asked about every function and its findings reach the policy, the report and the exit status."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from click.testing import CliRunner

import policygen
from policygen.evidence import Findings, Subject
from policygen.model import Action, Arn, Evidence, EvidenceKind, FileError, Location, Permission, Widening
from policygen.render import Format, render

TARGET = policygen.Target("aws", "us-east-1", "123456789012")
EVENT = Location.event("trail/2026-12-01.json", "e-1234", "2026-12-01T00:00:00Z")


@dataclass
class RecordedSource:
    """A stand-in for a recorded-calls source: one permission per call it saw."""

    kind: EvidenceKind = EvidenceKind.RECORDED
    asked: list[Subject] = field(default_factory=list)

    def collect(self, subject: Subject) -> Findings:
        self.asked.append(subject)
        arn = Arn(f"arn:aws:sqs:us-east-1:123456789012:{subject.name}-jobs")
        return Findings(
            permissions=(Permission(Action("sqs:SendMessage"), arn, (), (Evidence(self.kind, EVENT, "SendMessage"),)),),
            widenings=(Widening(Action("sqs:SendMessage"), arn, "seen once", EVENT),),
            errors=(FileError("trail/broken.json", 3, "not JSON: fix or remove the file"),),
        )


def _code(tmp_path):
    (tmp_path / "app.py").write_text(
        'import boto3\ns3 = boto3.client("s3")\ndef handler(e, c):\n    s3.get_object(Bucket="b", Key="k")\n'
    )
    return tmp_path


def test_a_further_source_adds_permissions_with_typed_locations(tmp_path):
    source = RecordedSource()
    result = policygen.generate(_code(tmp_path), policygen.Options(target=TARGET, sources=(source,)))
    [subject] = source.asked
    assert (subject.name, subject.handler, subject.target, subject.deployment) == (tmp_path.name, None, TARGET, None)
    by_action = {p.action: p for p in result.permissions}
    [code] = by_action["s3:GetObject"].evidence
    assert (code.kind, code.location.path, code.location.line) == (EvidenceKind.CODE, "app.py", 4)
    [recorded] = by_action["sqs:SendMessage"].evidence
    assert recorded.kind is EvidenceKind.RECORDED and recorded.location.is_event
    assert (recorded.location.event_id, recorded.location.time) == ("e-1234", "2026-12-01T00:00:00Z")
    assert [w.location for w in result.widenings] == [EVENT]
    assert [str(e) for e in result.errors] == ["trail/broken.json:3: not JSON: fix or remove the file"]
    assert not result.clean
    report = json.loads(render(result, Format.REPORT).text)
    sources = {e["source"] for p in report["permissions"] for e in p["evidence"]}
    assert sources == {"app.py:4:5", "trail/2026-12-01.json event e-1234 at 2026-12-01T00:00:00Z"}


def test_a_project_function_is_a_subject_with_its_deployment(tmp_path):
    code = tmp_path / "src"
    code.mkdir()
    _code(code)
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Worker:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Runtime: python3.12\n"
    )
    source = RecordedSource()
    project = policygen.generate_project(tmp_path, policygen.Options(target=TARGET, sources=(source,)))
    assert project is not None
    [subject] = source.asked
    assert subject.deployment is not None and subject.deployment.name == "Worker"
    assert subject.handler == "app.handler"
    [function] = project.functions
    kinds = {e.kind for p in function.result.permissions for e in p.evidence}
    assert kinds == {EvidenceKind.CODE, EvidenceKind.DEPLOYMENT, EvidenceKind.RECORDED}
    logs = next(p for p in function.result.permissions if p.action == "logs:CreateLogStream")
    assert logs.evidence[0].location == Location("template.yaml", 4)  # where Worker is declared


def test_unreadable_evidence_fails_the_cli_exit_status(tmp_path, monkeypatch):
    from policygen import cli

    real = cli.Options

    def with_source(**kwargs):
        return real(**{**kwargs, "sources": (*kwargs.get("sources", ()), RecordedSource())})

    monkeypatch.setattr(cli, "Options", with_source)
    result = CliRunner().invoke(cli.main, ["generate", str(_code(tmp_path)), "--no-cache"])
    assert result.exit_code == 2
    assert "trail/broken.json:3: not JSON" in result.stderr
