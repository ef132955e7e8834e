"""Hostile input: the readers that take untrusted text never crash with anything but their own
located errors, and nothing is written outside the output folder. Property tests (hypothesis)
run in CI; `fuzz/` has atheris harnesses for longer runs."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygen.cli import main, parse_env_pairs, read_env_file
from policygen.deploy.cfn_yaml import load_template
from policygen.deploy.intrinsics import Context, resolve
from policygen.errors import ConfigError, DeploymentError, SourceError
from policygen.extract.lower import lower_source
from policygen.model import Argument, Hole, Location, SdkCall, Target, Text
from policygen.options import Options
from policygen.render.project import file_name
from policygen.scope import scope

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TARGET = Target("aws", "us-east-1", "123456789012")

texts = st.lists(st.one_of(st.text(max_size=20), st.builds(Hole, st.text(max_size=10))), max_size=6).map(
    lambda parts: Text(tuple(parts))
)


@FAST
@given(st.binary(max_size=2000))
def test_lowering_arbitrary_bytes_is_a_module_or_a_located_error(data):
    try:
        lower_source("x.py", "x", False, data)
    except SourceError as exc:
        assert exc.path == "x.py" and exc.line >= 1


@FAST
@given(st.text(alphabet=string.printable, max_size=1500))
def test_lowering_arbitrary_text(text):
    try:
        lower_source("x.py", "x", False, text.encode())
    except SourceError as exc:
        assert exc.line >= 1


@FAST
@given(texts)
def test_patterns_never_double_wildcards(text):
    pattern = text.pattern()
    assert "**" not in pattern
    assert pattern.count("*") >= min(len(text.holes), 1)


@FAST
@given(texts, texts)
def test_scoping_any_argument_values(bucket, key):
    from policygen.mapping import need_from_spec

    need = need_from_spec(
        {
            "action": "s3:GetObject",
            "resources": [{"type": "object", "bind": {"BucketName": "Bucket", "ObjectName": "Key"}}],
        }
    )
    call = SdkCall(
        "s3", "get_object", (Argument("Bucket", (bucket,)), Argument("Key", (key,))), Location("x.py", 1)
    )
    scoped = scope(call, need, TARGET)
    for permission in scoped.permissions:
        assert permission.resource.startswith("arn:aws:s3:::")
    if bucket.holes or key.holes:
        assert scoped.widenings  # anything widened is reported


@FAST
@given(texts)
def test_queue_urls_and_role_names(value):
    from policygen.mapping import need_from_spec

    for spec, member in (
        (
            {
                "action": "sqs:SendMessage",
                "resources": [{"type": "queue", "bind": {"QueueName": "QueueUrl|url_last_segment"}}],
            },
            "QueueUrl",
        ),
        ({"action": "iam:PassRole", "resources": [{"type": "role", "arn_param": "Role"}]}, "Role"),
    ):
        call = SdkCall("x", "y", (Argument(member, (value,)),), Location("x.py", 1))
        for permission in scope(call, need_from_spec(spec), TARGET).permissions:
            assert permission.resource


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::If", "Fn::Select", "Fn::FindInMap", "x"]
            ),
            children,
            max_size=2,
        ),
    ),
    max_leaves=20,
)


@FAST
@given(json_values)
def test_intrinsics_on_arbitrary_structures(value):
    resources = {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "T"}}}}
    ctx = Context(resources, {"P": {"Default": "d"}}, {}, {}, Target(), None, "t.yaml")
    try:
        for text in resolve(value, ctx):
            assert isinstance(text, Text)
    except DeploymentError as exc:
        assert str(exc).startswith("t.yaml")


@FAST
@given(st.text(max_size=800))
def test_templates_of_arbitrary_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("t") / "template.yaml"
    path.write_text(text)
    try:
        load_template(path)
    except DeploymentError as exc:
        assert str(path) in str(exc)


@FAST
@given(st.text(max_size=300))
def test_env_files_of_arbitrary_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("e") / "deploy.env"
    path.write_text(text)
    try:
        read_env_file(path)
    except ConfigError as exc:
        assert str(path) in str(exc)


@FAST
@given(st.lists(st.text(max_size=20), max_size=5))
def test_env_pairs(pairs):
    try:
        parse_env_pairs(tuple(pairs))
    except ConfigError as exc:
        assert "--env" in str(exc)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/abs/path", "a/b\\c", "..", "", "x" * 500, "Fn\x00name", "CON"]
)
def test_output_file_names_stay_in_the_folder(tmp_path, name):
    from policygen.render import Format

    target = (tmp_path / file_name(name, Format.JSON)).resolve()
    assert target.parent == tmp_path.resolve()


def test_nothing_written_outside_the_output_folder(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (project / "template.yaml").write_text(
        "Resources:\n  ../../escape:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["generate", str(project), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before] == [Path("out/escape.json")]
    assert json.loads((out / "escape.json").read_text())["Statement"]


def test_secret_looking_environment_values_are_not_echoed(tmp_path):
    (tmp_path / "app.py").write_text("import os\ndef handler(e, c):\n    return os.environ['DB_PASSWORD']\n")
    result = CliRunner().invoke(
        main,
        [
            "generate",
            str(tmp_path),
            "--env",
            "DB_PASSWORD=hunter2-very-secret",
            "--format",
            "json-report",
            "--explain",
            "--no-cache",
        ],
    )
    assert result.exit_code == 0
    assert "hunter2" not in result.output


def test_huge_source_file_is_a_per_file_error(tmp_path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "big.py").write_text("x = 1\n" * 400_000)  # read for its names only
    (tmp_path / "huge.py").write_text("x = 1\n" * 3_500_000)  # over the per-file limit
    from policygen.pipeline import generate

    result = generate(tmp_path, Options(cache_dir=None))
    assert [str(e) for e in result.analysis.errors] == [
        "huge.py:1: file is 21,000,000 bytes, over policygen's 20,000,000-byte per-file limit; skipped "
        "(its names and calls are unknown to the analysis)"
    ]
    assert [(e.path, e.reason.split(":")[0]) for e in result.analysis.excluded] == [
        ("big.py", "2,400,000 bytes, over the 2,000,000-byte limit of full analysis")
    ]


def test_deeply_nested_template_is_refused(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("Resources: " + "[" * 300 + "]" * 300 + "\n")
    with pytest.raises(DeploymentError, match="nested too deeply to read"):
        load_template(path)


def test_terraform_cycle_between_locals(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "main.tf").write_text(
        'locals {\n  a = "${local.b}"\n  b = "${local.a}"\n}\n'
        'data "archive_file" "f" {\n  type = "zip"\n  source_dir = "src"\n  output_path = "f.zip"\n}\n'
        'resource "aws_lambda_function" "f" {\n  function_name = local.a\n  handler = "app.handler"\n  filename = data.archive_file.f.output_path\n}\n'
    )
    result = CliRunner().invoke(main, ["generate", str(tmp_path), "--no-cache"])
    assert result.exit_code == 2
    assert "main.tf:2: local.a refers to itself (a cycle between locals)" in result.stderr


def test_terraform_source_dir_outside_the_project(tmp_path):
    (tmp_path / "main.tf").write_text(
        'data "archive_file" "f" {\n  type = "zip"\n  source_dir = "../../"\n  output_path = "f.zip"\n}\n'
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  handler = "app.handler"\n  filename = data.archive_file.f.output_path\n}\n'
    )
    result = CliRunner().invoke(main, ["generate", str(tmp_path), "--no-cache"])
    assert result.exit_code == 2
    assert "main.tf:1: archive_file.f: ../../ is outside the project" in result.stderr
