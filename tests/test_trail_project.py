"""Project mode with access history: `generate ./app --cloudtrail DIR` gives each function the
calls of its own role and sessions (the session name Lambda gives the execution role is the
deployed function name), matched on what the deployment file lets one know offline."""

from __future__ import annotations

import json
from pathlib import Path

import trail_fixtures as fx
from click.testing import CliRunner

from policygen.cli import main

HANDLER = """
import boto3

table = boto3.resource("dynamodb").Table("{table}")


def handler(event, context):
    table.put_item(Item={{"pk": event["id"]}})
"""

SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  BillingName:
    Type: String
  BillingRole:
    Type: String
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Handler: app.handler
      Runtime: python3.12
  ShippingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: shipping/
      Handler: app.handler
      Runtime: python3.12
  BillingFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Ref BillingName
      Role: !Ref BillingRole
      CodeUri: billing/
      Handler: app.handler
      Runtime: python3.12
"""

SERVERLESS = """
service: payments
provider:
  name: aws
  runtime: python3.12
  region: eu-west-1
functions:
  charge:
    handler: charge/app.handler
  refund:
    handler: refund/app.handler
"""


def _code(root: Path, folder: str, table: str) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "app.py").write_text(HANDLER.format(table=table))


def _trail(root: Path, *principals: tuple[str, str, str]) -> Path:
    trail = root / "AWSLogs"
    trail.mkdir()
    records = [r for role, session, name in principals for r in fx.as_principal(fx.records(64), role, session, name)]
    (trail / "trail.json").write_text(json.dumps({"Records": records}))
    return trail


def _run(app: Path, trail: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]], str]:
    """Exit code, the report of each function by name, stderr."""
    args = [
        "generate", str(app), "--region", fx.REGION, "--account", fx.ACCOUNT, "--no-cache",
        "--format", "json-report", "--cloudtrail", str(trail), *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    doc = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, doc.get("functions", doc), result.stderr


def _observed(function: dict[str, object]) -> set[str]:
    return {
        f"{p['action']} {p['resource']}"  # type: ignore[index]
        for p in function["permissions"]  # type: ignore[attr-defined]
        if any(e["kind"] == "cloudtrail" for e in p["evidence"])  # type: ignore[index]
    }


def _table(name: str) -> str:
    return f"dynamodb:PutItem arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/{name}"


def _unresolved(function: dict[str, object]) -> list[str]:
    return [u["reason"] for u in function["unresolved"]]  # type: ignore[attr-defined,index]


def test_sam_functions_get_their_own_sessions_by_the_known_parts_of_generated_names(tmp_path: Path) -> None:
    app = tmp_path / "shop"
    app.mkdir()
    (app / "template.yaml").write_text(SAM)
    for folder in ("orders", "shipping", "billing"):
        _code(app, folder, folder)
    trail = _trail(
        tmp_path,
        ("shop-OrdersFunctionRole-1A2B3C4D5E6F", "shop-OrdersFunction-Xy12Ab34Cd56", "orders"),
        ("shop-ShippingFunctionRole-9Z8Y7X6W5V4U", "shop-ShippingFunction-Qw98Er76Ty54", "shipping"),
        # the same template deployed as another stack: its calls are not shop's
        ("dev-OrdersFunctionRole-0000AAAA1111", "dev-OrdersFunction-Zz00Yy11Xx22", "devorders"),
    )
    status, functions, _ = _run(app, trail, "--stack-name", "shop")
    assert status == 0
    by = functions
    orders, shipping = _observed(by["OrdersFunction"]), _observed(by["ShippingFunction"])
    assert _table("orders") in orders and _table("shipping") in shipping
    assert not any("shipping" in p or "devorders" in p for p in orders)
    assert not any("orders" in p for p in shipping)
    notes = _unresolved(by["OrdersFunction"])
    assert any(
        "calls are those by sessions named shop-OrdersFunction-* of role "
        f"arn:aws:iam::{fx.ACCOUNT}:role/shop-OrdersFunctionRole-*" in n
        and "assumed-role/shop-OrdersFunctionRole-1A2B3C4D5E6F/shop-OrdersFunction-Xy12Ab34Cd56 x48" in n
        for n in notes
    )
    # the billing function's name and role are parameters not given: nothing to match on
    billing = _unresolved(by["BillingFunction"])
    assert any(n.startswith("CloudTrail: not matched: neither the role's ARN nor the deployed") for n in billing)
    assert not _observed(by["BillingFunction"])
    # without --stack-name only the logical ids are known: both stacks' orders sessions match, and
    # the note lists them for the user to see
    status, functions, _ = _run(app, trail)
    assert status == 0
    by = functions
    assert _table("devorders") in _observed(by["OrdersFunction"])
    listed = [n for n in _unresolved(by["OrdersFunction"]) if "check these are this function's" in n]
    assert listed and "dev-OrdersFunction-Zz00Yy11Xx22" in listed[0] and "shop-OrdersFunction-" in listed[0]


def test_serverless_names_are_known_offline_and_other_stages_are_apart(tmp_path: Path) -> None:
    app = tmp_path / "payments"
    app.mkdir()
    (app / "serverless.yml").write_text(SERVERLESS)
    _code(app, "charge", "charges")
    _code(app, "refund", "refunds")
    trail = _trail(
        tmp_path,
        ("payments-prod-eu-west-1-lambdaRole", "payments-prod-charge", "charges"),
        ("payments-dev-eu-west-1-lambdaRole", "payments-dev-charge", "devcharges"),
    )
    status, functions, _ = _run(app, trail, "--stage", "prod")
    assert status == 0
    by = functions
    charge = by["charge"]
    assert _table("charges") in _observed(charge) and not any("devcharges" in p for p in _observed(charge))
    assert not any(n.startswith("CloudTrail:") for n in _unresolved(charge))  # exact names: nothing to check
    refund = _unresolved(by["refund"])  # deployed, never called in the window
    assert any(
        n.startswith("CloudTrail: not matched: no call in the trail is by sessions named payments-prod-refund "
                     f"of role arn:aws:iam::{fx.ACCOUNT}:role/payments-prod-eu-west-1-lambdaRole")
        for n in refund
    )  # fmt: skip
    history = {
        p["action"]: p["history"]  # type: ignore[index]
        for p in by["refund"]["permissions"]  # type: ignore[attr-defined]
    }
    assert history["dynamodb:PutItem"] == "in-code-never-observed"
    service = [
        p["history_why"]  # type: ignore[index]
        for p in by["refund"]["permissions"]  # type: ignore[attr-defined]
        if p["action"] == "logs:PutLogEvents"  # type: ignore[index]
    ]
    assert service and "the Lambda service's use of the role" in service[0]
