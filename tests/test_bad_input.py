"""Bad input: each case paired with the exact error the user sees, and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.errors import UsageError
from policygen.options import Options
from policygen.pipeline import generate


def cli(*args: str):
    return CliRunner().invoke(main, ["generate", *args, "--no-cache"])


def test_syntax_error_is_reported_and_the_rest_analysed(tmp_path: Path):
    (tmp_path / "app.py").write_text(
        "import boto3\ndef handler(e, c):\n    boto3.client('sns').publish(TopicArn='arn:aws:sns:us-east-1:1:t', Message='m')\n"
    )
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    result = cli(str(tmp_path))
    assert result.exit_code == 2
    assert "broken.py:1:7: syntax error: invalid syntax (is this Python 3?) (the rest was analysed)" in result.stderr
    assert '"sns:Publish"' in result.stdout


BROKEN_HANDLER = 'import boto3\n\ndef handler(event, context):\n    boto3.client("s3").get_object(Bucket="b", Key="k"\n'
GOOD_HANDLER = (
    "import boto3\n\ndef handler(event, context):\n"
    '    boto3.client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="m")\n'
)
SYNTAX = "syntax error: '(' was never closed (is this Python 3?)"
SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}
  GoodFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: good.handler, Runtime: python3.12}
"""
SERVERLESS = """service: demo
provider: {name: aws, runtime: python3.12}
functions:
  broken: {handler: src/app.handler}
  good: {handler: src/good.handler}
"""
TERRAFORM = """data "archive_file" "code" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/code.zip"
}
resource "aws_lambda_function" "broken" {
  filename = data.archive_file.code.output_path
  handler  = "app.handler"
  runtime  = "python3.12"
}
resource "aws_lambda_function" "good" {
  filename = data.archive_file.code.output_path
  handler  = "good.handler"
  runtime  = "python3.12"
}
"""


@pytest.mark.parametrize(
    ("file", "text", "function", "where", "error", "handler", "code"),
    [
        ("template.yaml", SAM, "BrokenFunction", "template.yaml:4", "app.py:4:34", "app.handler", "src"),
        ("serverless.yml", SERVERLESS, "broken", "serverless.yml:4", "src/app.py:4:34", "src.app.handler", "."),
        ("main.tf", TERRAFORM, "aws_lambda_function.broken", "main.tf:6", "app.py:4:34", "app.handler", "src"),
    ],
)
def test_a_handler_module_with_a_syntax_error_is_that_functions_error(
    tmp_path, monkeypatch, file, text, function, where, error, handler, code
):
    """Not "no module app": the file is there and does not parse; the other function still gets
    its policy, and the exit code says an input failed (2)."""
    (tmp_path / file).write_text(text)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(BROKEN_HANDLER)
    (tmp_path / "src" / "good.py").write_text(GOOD_HANDLER)
    monkeypatch.chdir(tmp_path)
    result = cli(".", "--region", "us-east-1", "--account", "123456789012")
    assert result.exit_code == 2
    assert (
        f"policygen: error: {function}: no policy: {where}: {error}: {SYNTAX}; it holds the handler {handler} "
        f"(code under {code}), so this function cannot be analysed: fix the file and run again"
    ) in result.stderr
    assert "no module" not in result.stderr
    assert "1 of 2 functions got their policy" in result.stderr
    assert '"sns:Publish"' in result.stdout and "s3:GetObject" not in result.stdout


def test_a_handler_module_with_a_syntax_error_in_a_code_folder(tmp_path):
    (tmp_path / "app.py").write_text(BROKEN_HANDLER)
    (tmp_path / "good.py").write_text(GOOD_HANDLER)
    out = tmp_path / "policy.json"
    result = cli(str(tmp_path), "--handler", "app.handler", "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"policygen: error: app.py:4:34: {SYNTAX}; it holds the handler app.handler (code under {tmp_path}), "
        "so this function cannot be analysed: fix the file and run again\n"
    )
    assert not out.exists()
    with pytest.raises(UsageError, match=r"^app.py:4:34: syntax error"):
        generate(tmp_path, Options(handler="app.handler"))


def test_binary_and_non_utf8_files_are_per_file_errors(tmp_path: Path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "blob.py").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.py").write_bytes(b"x = 1\ny = '\xe9'\n")
    result = generate(tmp_path)
    messages = {str(e) for e in result.analysis.errors}
    assert "blob.py:1: file contains NUL bytes (binary data with a .py name?); skipped" in messages
    assert "latin.py:2: file is not valid UTF-8; re-save it as UTF-8" in messages


def test_python2_file(tmp_path: Path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    print 'hi'\n")
    result = generate(tmp_path)
    assert [e.path for e in result.analysis.errors] == ["app.py"]
    assert "is this Python 3?" in result.analysis.errors[0].message


def test_bom_and_crlf_are_fine(tmp_path: Path):
    (tmp_path / "app.py").write_bytes(
        b"\xef\xbb\xbfimport boto3\r\ndef handler(e, c):\r\n    boto3.client('s3').get_object(Bucket='b', Key='k')\r\n"
    )
    result = generate(tmp_path)
    assert not result.analysis.errors
    assert [str(p.evidence[0].source) for p in result.permissions] == ["app.py:3:5"]  # the BOM is not a column


def test_missing_directory():
    result = cli("/nonexistent/dir")
    assert result.exit_code == 2
    assert "policygen: error: /nonexistent/dir: no such directory" in result.stderr
    assert "Traceback" not in result.output


def test_empty_directory(tmp_path: Path):
    result = cli(str(tmp_path))
    assert result.exit_code == 2
    assert "no Python files found" in result.stderr


def test_handler_that_does_not_exist(tmp_path: Path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    with pytest.raises(UsageError, match=r"app.py: defines no top-level function nope\(\)"):
        generate(tmp_path, Options(handler="app.nope"))
    with pytest.raises(UsageError, match="no module missing under"):
        generate(tmp_path, Options(handler="missing.handler"))


def test_ambiguous_handlers(tmp_path: Path):
    (tmp_path / "a.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "b.py").write_text("def lambda_handler(e, c):\n    return 1\n")
    result = cli(str(tmp_path))
    assert result.exit_code == 2
    assert "several possible handlers (a.handler, b.lambda_handler)" in result.stderr


def test_bad_env_file_names_file_and_line(tmp_path: Path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    env = tmp_path / "deploy.env"
    env.write_text("# comment\nGOOD=1\nthis is not a pair\n")
    result = cli(str(tmp_path), "--env-file", str(env))
    assert result.exit_code == 2
    assert f"{env}:3: expected KEY=VALUE" in result.stderr


def test_strict_fails_without_output(tmp_path: Path):
    (tmp_path / "app.py").write_text("import boto3\ndef handler(e, c):\n    boto3.client(e['s']).go()\n")
    out = tmp_path / "policy.json"
    result = cli(str(tmp_path), "--strict", "-o", str(out))
    assert result.exit_code == 1
    assert "app.py:3:5: a client whose service name is computed at run time" in result.stderr
    assert not out.exists()


def test_output_written_atomically(tmp_path: Path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    out = tmp_path / "policy.json"
    result = cli(str(tmp_path), "-o", str(out))
    assert result.exit_code == 0
    assert out.read_text().startswith('{\n  "Version": "2012-10-17"')
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_symlink_out_of_the_tree_is_not_followed(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import boto3\nboto3.client('iam').delete_user(UserName='x')\n")
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (code / "link").symlink_to(outside, target_is_directory=True)
    (code / "loop").symlink_to(code, target_is_directory=True)
    result = generate(code)
    assert result.analysis.files == 1
    assert result.permissions == ()


def test_deep_nesting_is_a_per_file_error(tmp_path: Path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "deep.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    result = generate(tmp_path)
    assert [e.path for e in result.analysis.errors] == ["deep.py"]
