"""The diff and the gate as Markdown (checked through a Markdown parser) and SARIF 2.1.0
(validated against the OASIS schema, vendored as test data), with findings located at the source
or policy line and fingerprints that don't move with line numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from click.testing import CliRunner
from markdown_it import MarkdownIt

from policygen.cli import main

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text())
HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
KMS = boto3.client("kms")


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
    return KMS.decrypt(CiphertextBlob=event["blob"], KeyId=os.environ["KEY_ARN"])
"""
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    ],
}


def setup(tmp_path: Path, blank_lines: int = 0) -> tuple[Path, Path]:
    code = tmp_path / "fn"
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text("\n" * blank_lines + HANDLER)
    policy = tmp_path / "current.json"
    policy.write_text(json.dumps(POLICY, indent=2))
    return code, policy


def run(*args: str):
    return CliRunner().invoke(main, [*args, "--no-cache"], catch_exceptions=False)


def sarif(tmp_path: Path, blank_lines: int = 0) -> dict:
    code, policy = setup(tmp_path, blank_lines)
    result = run("diff", str(code), "--current", str(policy), "--format", "sarif")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_sarif_validates_and_locates_findings(tmp_path):
    log = sarif(tmp_path)
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    rules = {r["ruleId"] for r in results}
    assert {"missing-permission", "widened-grant", "excess-grant"} <= rules
    [missing] = [r for r in results if r["ruleId"] == "missing-permission"]
    assert "kms:Decrypt" in missing["message"]["text"]
    where = missing["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"].endswith("app.py")
    assert where["region"] == {"startLine": 10, "startColumn": 12}  # `KMS.decrypt(` after `return `
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"
    excess = [r for r in results if r["ruleId"] == "excess-grant"]
    assert excess[0]["level"] == "error"  # Permissions management first
    policy_lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in excess}
    assert policy_lines <= {4, 9} and policy_lines  # the statements' lines in current.json


def test_sarif_fingerprints_do_not_move_with_lines(tmp_path):
    before = sarif(tmp_path)
    after = sarif(tmp_path, blank_lines=5)  # the same function, its code moved down five lines

    def prints(log: dict) -> list[str]:
        return sorted(r["partialFingerprints"]["policygen/v1"] for r in log["runs"][0]["results"])

    def lines(log: dict) -> list[int]:
        return [
            loc["physicalLocation"]["region"]["startLine"]
            for r in log["runs"][0]["results"]
            if r["ruleId"] == "missing-permission"
            for loc in r["locations"]
        ]

    assert lines(after) == [n + 5 for n in lines(before)]
    assert prints(before) == prints(after) and len(set(prints(before))) == len(prints(before))


def test_markdown_renders_tables_and_sections(tmp_path):
    code, policy = setup(tmp_path)
    result = run("diff", str(code), "--current", str(policy), "--format", "markdown")
    assert result.exit_code == 0
    tokens = MarkdownIt().enable("table").parse(result.stdout)
    kinds = [t.type for t in tokens]
    assert kinds.count("table_open") == 2  # the summary, and the function's excess
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["policygen", "fn"]
    cells = [t.content for t in tokens if t.type == "inline"]
    assert "Permissions management" in cells and "fn" in cells
    html = MarkdownIt().enable("table").render(result.stdout)
    assert "<code>kms:Decrypt</code>" in html


def test_check_in_sarif_and_markdown(tmp_path):
    code, policy = setup(tmp_path)
    out = tmp_path / ".policygen"
    assert run("baseline", "update", str(code), "--out", str(out)).exit_code == 0
    (code / "app.py").write_text(
        HANDLER.replace("    return", "    TABLE.delete_item(Key={'id': 1})\n    return")
    )
    result = run("check", str(code), "--baseline", str(out), "--current", str(policy), "--format", "sarif")
    assert result.exit_code == 4 | 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, SCHEMA)
    assert "new-privilege" in {r["ruleId"] for r in log["runs"][0]["results"]}
    md = run("check", str(code), "--baseline", str(out), "--current", str(policy), "--format", "markdown")
    assert md.exit_code == 4 | 1
    tokens = MarkdownIt().enable("table").parse(md.stdout)
    inline = [t.content for t in tokens if t.type == "inline"]
    # The verdict and what each bit of its exit code means, before anything else.
    assert inline[1] == "**Failed** (exit 5 = 1 + 4):"
    assert inline[2].startswith("1: the code needs a permission the current policy lacks")
    assert inline[3].startswith("4: the synthesized policy grants access the baseline didn't")
    # One table of counts: new privilege, missing, widened, excess, score.
    header = inline[inline.index("Function") : inline.index("Function") + 6]
    assert header == [
        "Function",
        "New privilege",
        "Missing",
        "Widened",
        "Excess actions",
        "Least privilege (actions, pairs)",
    ]
    row = inline[inline.index("fn") : inline.index("fn") + 6]
    assert row[1] == "**yes:** `dynamodb:DeleteItem`" and row[2] == "**1**"
    assert any(
        c.startswith("**New privilege** over the baseline: `dynamodb:DeleteItem on arn:") for c in inline
    )
    # The long lists are collapsed, with their counts in the summary, and listed whole inside.
    html = [t.content for t in tokens if t.type == "html_block"]
    summaries = [h for h in html if "<summary>" in h]
    assert any("<b>Excess</b>:" in h and "Permissions management" in h for h in summaries)
    assert any("Exit codes of <code>policygen check</code>" in h for h in summaries)
    excess_cells = [c for c in inline if c.startswith("s3:") and "," in c]
    assert excess_cells and "more" not in " ".join(excess_cells)  # not cut short
    rendered = MarkdownIt().enable("table").render(md.stdout)
    assert rendered.count("<details>") == rendered.count("</details>") == 2


def _prints_and_lines(log: dict) -> tuple[list[str], list[tuple[str, str, int]]]:
    results = log["runs"][0]["results"]
    prints = sorted(r["partialFingerprints"]["policygen/v1"] for r in results)
    lines = sorted(
        (
            r["ruleId"],
            loc["physicalLocation"]["artifactLocation"]["uri"],
            loc["physicalLocation"]["region"]["startLine"],
        )
        for r in results
        for loc in r.get("locations", [])
    )
    return prints, lines


def test_policy_file_findings_keep_their_fingerprints_when_the_file_moves_down(tmp_path):
    code, policy = setup(tmp_path)
    before = run("diff", str(code), "--current", str(policy), "--format", "sarif")
    policy.write_text("\n\n" + policy.read_text())  # two blank lines above the document
    after = run("diff", str(code), "--current", str(policy), "--format", "sarif")
    prints_before, lines_before = _prints_and_lines(json.loads(before.stdout))
    prints_after, lines_after = _prints_and_lines(json.loads(after.stdout))
    assert prints_before == prints_after
    moved = [(rule, uri, n + 2 if uri.endswith("current.json") else n) for rule, uri, n in lines_before]
    assert sorted(moved) == lines_after and any(uri.endswith("current.json") for _, uri, _ in lines_after)


TARGET = ("--region", "us-east-1", "--account", "123456789012")
SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: orders}
  PutFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/put/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE_NAME: !Ref Orders
          KEY_ARN: arn:aws:kms:us-east-1:123456789012:key/k
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Orders
        - Statement:
            - Effect: Allow
              Action: s3:*
              Resource: "*"
"""


def test_template_findings_are_at_the_statement_lines_from_the_working_directory(tmp_path, monkeypatch):
    """In a project, each finding's path is from the working directory (the repository root in
    CI) and its line is the template statement that grants, or the code that needs; a blank
    line added at the top moves the lines, not the fingerprints."""
    project = tmp_path / "app"
    (project / "src" / "put").mkdir(parents=True)
    (project / "src" / "put" / "app.py").write_text(HANDLER)
    (project / "template.yaml").write_text(SAM)
    monkeypatch.chdir(tmp_path)
    logs = []
    for top in ("", "\n"):
        (project / "template.yaml").write_text(top + SAM)
        result = run("diff", "app", "--stack-name", "shop", *TARGET, "--format", "sarif")
        assert result.exit_code == 0, result.stderr
        logs.append(json.loads(result.stdout))
    jsonschema.validate(logs[0], SCHEMA)
    (prints, lines), (prints_after, lines_after) = map(_prints_and_lines, logs)
    assert prints == prints_after
    by_rule: dict[str, set[tuple[str, int]]] = {}
    for rule, uri, line in lines:
        by_rule.setdefault(rule, set()).add((uri, line))
    assert by_rule["missing-permission"] == {("app/src/put/app.py", 10)}  # kms.decrypt
    # DynamoDBCrudPolicy (named at line 17) grants PutItem on the table's indexes too and the
    # reads; the inline s3:* statement starts at line 20; the logs actions come from
    # AWSLambdaBasicExecutionRole, which SAM attaches to the function declared at line 7.
    assert ("app/template.yaml", 17) in by_rule["widened-grant"]
    assert ("app/template.yaml", 7) in by_rule["widened-grant"]
    assert {("app/template.yaml", 17), ("app/template.yaml", 20)} <= by_rule["excess-grant"]
    assert all(
        line + (0 if rule == "missing-permission" else 1) == after
        for (rule, _, line), (_, _, after) in zip(lines, lines_after, strict=True)
    )


def test_every_golden_sarif_validates():
    goldens = sorted((Path(__file__).parent.parent / "examples").glob("*/expected/gate/*.sarif"))
    assert len(goldens) >= 6
    for path in goldens:
        log = json.loads(path.read_text())
        jsonschema.validate(log, SCHEMA)
        for result in log["runs"][0]["results"]:
            assert result["locations"], (path.name, result["message"]["text"])
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert (Path(__file__).parent.parent / uri).is_file(), (path.name, uri)


def test_every_golden_markdown_renders():
    goldens = sorted((Path(__file__).parent.parent / "examples").glob("*/expected/gate/*.md"))
    assert len(goldens) >= 6
    for path in goldens:
        text = path.read_text()
        tokens = MarkdownIt().enable("table").parse(text)
        assert [t.type for t in tokens][:3] == ["heading_open", "inline", "heading_close"], path.name
        assert "table_open" in [t.type for t in tokens], path.name  # the counts
        html = MarkdownIt().enable("table").render(text)
        assert html.count("<details>") == html.count("</details>"), path.name
        assert "|" not in "".join(
            t.content for t in tokens if t.type == "inline" and t.content.startswith("|")
        )


INCOMPLETE_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      PermissionsBoundary: arn:aws:iam::111122223333:policy/org-boundary
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/NoSuchManagedPolicy
      Policies:
        - PolicyName: own
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:PutItem
                Resource: "*"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE_NAME: orders
          KEY_ARN: arn:aws:kms:us-east-1:111122223333:key/k
"""


def test_what_could_not_be_read_is_in_every_format_with_its_kind(tmp_path, monkeypatch):
    setup(tmp_path)
    (tmp_path / "template.yaml").write_text(INCOMPLETE_TEMPLATE)
    monkeypatch.chdir(tmp_path)
    args = ("check", ".", "--region", "us-east-1", "--account", "111122223333")
    outputs = {fmt: run(*args, "--format", fmt) for fmt in ("text", "json", "markdown", "sarif")}
    assert {r.exit_code for r in outputs.values()} == {1}  # kms:Decrypt is missing
    body = json.loads(outputs["json"].stdout)["functions"]["Fn"]
    kinds = {u["kind"]: u for u in body["unreadable_policies"]}
    assert set(kinds) == {"managed-policy", "permissions-boundary"}
    assert "NoSuchManagedPolicy" in kinds["managed-policy"]["what"]
    # Where the reader says the boundary is declared (the role's lines, not the function's).
    boundary_file, _, boundary_line = kinds["permissions-boundary"]["where"].partition(":")
    assert boundary_file == "template.yaml" and int(boundary_line) < 8
    text = outputs["text"].stdout
    assert text.count("Fn: not compared, the comparison is incomplete: ") == 2 and "org-boundary" in text
    markdown = outputs["markdown"].stdout
    assert "**Incomplete:** 2 policies of the current role could not be read" in markdown
    assert markdown.count("> **Not compared, the comparison is incomplete:**") == 2
    assert re.search(r"^\| Fn \| not checked \| \*\*\d+\*\* \(incomplete\) \|", markdown, re.M)
    log = json.loads(outputs["sarif"].stdout)
    jsonschema.validate(log, SCHEMA)
    incomplete = [r for r in log["runs"][0]["results"] if r["ruleId"] == "incomplete-comparison"]
    assert len(incomplete) == 2 and {r["level"] for r in incomplete} == {"warning"}
    lines = {
        "boundary" if "permissions boundary" in r["message"]["text"] else "managed": r["locations"][0]["physicalLocation"]
        for r in incomplete
    }
    # The boundary at its own line; the managed policy at the function's declaration.
    assert lines["boundary"] == {
        "artifactLocation": {"uri": "template.yaml"},
        "region": {"startLine": int(boundary_line)},
    }
    assert lines["managed"]["region"]["startLine"] == 18
    # Fingerprints leave the template's lines out: moving the role down does not churn them.
    prints = sorted(r["partialFingerprints"]["policygen/v1"] for r in incomplete)
    (tmp_path / "template.yaml").write_text(INCOMPLETE_TEMPLATE.replace("Resources:\n", "Resources:\n\n\n"))
    moved = json.loads(run(*args, "--format", "sarif").stdout)["runs"][0]["results"]
    assert sorted(r["partialFingerprints"]["policygen/v1"] for r in moved if r["ruleId"] == "incomplete-comparison") == prints


def test_new_privilege_says_under_which_conditions_in_markdown_and_sarif():
    from dataclasses import replace

    from policygen.gate import Verdict, new_privilege
    from policygen.model import Condition
    from policygen.policy.document import Effect, PolicyDocument, PolicyStatement
    from policygen.render.markdown import as_markdown
    from policygen.render.sarif import as_sarif

    via_sm = Condition("StringEquals", "kms:ViaService", ("secretsmanager.us-east-1.amazonaws.com",))
    via_both = replace(via_sm, values=(*via_sm.values, "ssm.us-east-1.amazonaws.com"))
    key = "arn:aws:kms:us-east-1:111122223333:key/k"

    def decrypt(condition: Condition) -> PolicyDocument:
        return PolicyDocument((PolicyStatement(Effect.ALLOW, ("kms:Decrypt",), (key,), conditions=(condition,)),))

    found = new_privilege(decrypt(via_sm), decrypt(via_both))
    assert not found and found.when
    verdict = Verdict("fn", found, None, False)
    expected = "when `StringEquals kms:ViaService ['secretsmanager.us-east-1.amazonaws.com', 'ssm.us-east-1.amazonaws.com']`"
    markdown = as_markdown(verdicts=[verdict], code=verdict.exit)
    assert f"**New privilege** over the baseline: `kms:Decrypt on {key}` {expected}" in markdown
    MarkdownIt().parse(markdown)
    log = json.loads(as_sarif(verdicts=[verdict]))
    jsonschema.validate(log, SCHEMA)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "new-privilege" and expected.replace("`", "") in result["message"]["text"]
