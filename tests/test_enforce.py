"""`policygen verify` enforces the policy during the run: the function's denied calls fail where
they are made, with the error the service answers; test set-up calls are never enforced; moto's own
IAM check judges each call as a second judge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.record import hook
from policygen.record.observed import FUNCTION, Frame, RecordedCall
from policygen.record.verify import Check, Judged, MotoCheck, NotJudged, Status, compare

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "recorded-inventory"
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/stock"

APP = '''
import boto3

def tidy(bucket, key):
    return boto3.client("s3", region_name="us-east-1").delete_object(Bucket=bucket, Key=key)

def count(table, sku):
    return boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=table, Key={"sku": {"S": sku}}, UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}})

def announce(topic):
    return boto3.client("sns", region_name="us-east-1").publish(TopicArn=topic, Message="hi")

def buckets():
    return boto3.client("s3", region_name="us-east-1").list_buckets()
'''

TESTS = '''
import os, sys
from pathlib import Path
import boto3, pytest
from botocore.exceptions import ClientError
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fn"))
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
import app

@pytest.fixture
def aws():
    with mock_aws():
        # test set-up: no statement of the policy grants these; they must still run
        boto3.client("s3").create_bucket(Bucket="reports")
        boto3.client("s3").put_object(Bucket="reports", Key="old.json", Body=b"{}")
        boto3.client("dynamodb").create_table(
            TableName="stock", KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")
        yield boto3.client("sns").create_topic(Name="news")["TopicArn"]

def test_denied_calls_fail_where_they_are_made_as_the_service_answers(aws):
    with pytest.raises(ClientError) as s3_error:
        app.tidy("reports", "old.json")
    assert s3_error.value.response["Error"]["Code"] == "AccessDenied"
    assert s3_error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "s3:DeleteObject on resource: arn:aws:s3:::reports/old.json" in str(s3_error.value)
    with pytest.raises(ClientError) as sns_error:
        app.announce(aws)
    assert sns_error.value.response["Error"]["Code"] == "AuthorizationError"
    # never sent: the object is still there
    assert boto3.client("s3").get_object(Bucket="reports", Key="old.json")["Body"].read() == b"{}"

def test_an_allowed_call_goes_through(aws):
    app.count("stock", "a")
    item = boto3.client("dynamodb").get_item(TableName="stock", Key={"sku": {"S": "a"}})["Item"]
    assert item["n"] == {"N": "1"}
'''


# The same suite as moto 4 users write it: per-service mocks (moto 5 replaced them by mock_aws)
TESTS_MOTO4 = TESTS.replace("from moto import mock_aws", "from moto import mock_dynamodb, mock_s3, mock_sns").replace(
    "with mock_aws():", "with mock_s3(), mock_dynamodb(), mock_sns():"
) + '''
def test_listing_buckets(aws):
    assert [b["Name"] for b in app.buckets()["Buckets"]] == ["reports"]
'''
# A Python with moto 4 (`.ci/run` installs one from PyPI; no test reaches the network)
MOTO4_PYTHON = os.environ.get("POLICYGEN_TEST_MOTO4_PYTHON", "")


def _project(tmp_path: Path, tests: str = TESTS) -> Path:
    (tmp_path / "fn").mkdir(parents=True)
    (tmp_path / "fn" / "app.py").write_text(APP)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(tests)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": TABLE},
            {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::reports/new/*"},
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        ],
    }
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    return tmp_path


def _verify(project: Path, *extra: str, python: str = sys.executable) -> tuple[int, str, str]:
    report = project / "report.txt"
    args = ["verify", "fn", "--policy", "policy.json", "--region", "us-east-1", "--account", "123456789012"]
    pytest_command = (python, *PYTEST[1:])
    args += ["--report", str(report), *extra, "--", *pytest_command, "--rootdir", str(project), "tests"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        result = CliRunner().invoke(main, args)
    return result.exit_code, result.output, report.read_text() if report.exists() else ""


def test_the_users_tests_see_the_denial_where_the_call_is_made(tmp_path):
    code, output, report = _verify(_project(tmp_path))
    # the tests expected the errors and passed: the command succeeded, the policy did not hold
    assert "the command exited" not in output
    assert code == 1, output
    assert "DENIED s3:DeleteObject on arn:aws:s3:::reports/old.json" in output
    assert "DENIED sns:Publish on arn:aws:sns:us-east-1:123456789012:news" in output
    assert output.count("enforced: the call failed with AccessDenied where it was made") == 2
    # each call of the function, its verdict and who judged it; why verify exits 1
    assert (
        "policygen: the function's calls (verdict; who judged it):\n"
        "    allowed: dynamodb.update_item(TableName=stock) at fn/app.py:8 (count) (judged by: both judges agree)\n"
        "    DENIED: s3.delete_object(Bucket=reports, Key=old.json) at fn/app.py:5 (tidy) "
        "(judged by: policygen's evaluator only, stopped before it was sent)\n"
    ) in output
    assert "`verify --observe-only` lets every call through for moto to judge as well" in output
    assert output.endswith("policygen: exit 1: the policy did not hold\n")
    # set-up calls ran though nothing grants them, and were not judged
    assert "test set-up call(s) not enforced" in output
    assert "DENIED s3:CreateBucket" not in output and "DENIED dynamodb:CreateTable" not in output
    # the call allowed went to moto, whose own IAM check agrees on the action (no resource for DynamoDB)
    block = report.split("allowed: dynamodb.update_item at fn/app.py:8 (count)")[1].split("\n\n")[0]
    assert "moto: dynamodb:UpdateItem (action only" in block and "judged by: both judges agree" in block
    # the stopped calls never reached moto: policygen's evaluator alone judged them, and says so
    assert "only policygen's evaluator judged: s3.delete_object at fn/app.py:5 (tidy)" in report
    assert "only policygen's evaluator judged: sns.publish at fn/app.py:13 (announce)" in report


def test_observe_only_lets_every_call_through_and_both_judges_see_it(tmp_path):
    code, output, report = _verify(_project(tmp_path), "--observe-only")
    # nothing was enforced: the tests' pytest.raises failed, and the verdict is still given
    assert "the command exited with 1" in output
    assert code == 1
    assert "observed only (judged after the run)" in report
    block = report.split("DENIED: s3.delete_object at fn/app.py:5 (tidy)")[1].split("\n\n")[0]
    assert "moto: s3:DeleteObject on arn:aws:s3:::reports/old.json: denied" in block
    assert "judged by: both judges agree" in block


def test_a_disagreement_between_the_judges_is_reported_loudly(tmp_path):
    project = _project(tmp_path)
    # IAM reads `?` as one character; moto turns the pattern into a regular expression as it stands
    policy = json.loads((project / "policy.json").read_text())
    policy["Statement"][1]["Resource"] = "arn:aws:s3:::reports/ol?.json"
    (project / "policy.json").write_text(json.dumps(policy))
    _, output, report = _verify(project, "--observe-only")
    assert "WARNING: policygen's evaluator and moto DISAGREE on s3.delete_object at fn/app.py:5 (tidy)" in output
    assert "moto: s3:DeleteObject on arn:aws:s3:::reports/old.json: denied" in output
    assert "the judges DISAGREE: 1" in report


@pytest.mark.skipif(
    not MOTO4_PYTHON,
    reason="moto 4 is not installed here: set POLICYGEN_TEST_MOTO4_PYTHON to a Python with moto 4 and pytest "
    "(.ci/run installs one from PyPI)",
)
def test_moto_4_per_service_mocks_are_the_second_judge_too(tmp_path):
    version = subprocess.run(
        [MOTO4_PYTHON, "-c", "import moto; print(moto.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version.startswith("4."), f"POLICYGEN_TEST_MOTO4_PYTHON has moto {version}"
    code, output, report = _verify(_project(tmp_path, TESTS_MOTO4), python=MOTO4_PYTHON)
    assert code == 1 and "the command exited" not in output, output  # the tests expected the denials
    # moto 4 names ListBuckets as IAM does (its S3 handler sets ListAllMyBuckets): both judges agree
    block = report.split("allowed: s3.list_buckets at fn/app.py:16 (buckets)")[1].split("\n\n")[0]
    assert "moto: s3:ListAllMyBuckets on arn:aws:s3:::*: allowed" in block
    assert "judged by: both judges agree" in block
    # moto 4 answers DynamoDB without authorizing it (its IAM check does not cover it): said, per call
    block = report.split("allowed: dynamodb.update_item at fn/app.py:8 (count)")[1].split("\n\n")[0]
    assert f"moto did not judge it: moto {version} answered it without running its request authorization" in block
    assert "judged by: policygen's evaluator only" in block
    # a stopped call never reaches moto: said per call, with how to have moto judge it as well
    block = report.split("DENIED: s3.delete_object at fn/app.py:5 (tidy)")[1].split("\n\n")[0]
    assert "judged by: policygen's evaluator only" in block and "--observe-only" in block
    # judged after the run, every call reaches moto 4 and both judges name the missing permission
    code, output, report = _verify(_project(tmp_path / "observed", TESTS_MOTO4), "--observe-only", python=MOTO4_PYTHON)
    assert code == 1
    block = report.split("DENIED: s3.delete_object at fn/app.py:5 (tidy)")[1].split("\n\n")[0]
    assert "moto: s3:DeleteObject on arn:aws:s3:::reports/old.json: denied" in block
    assert "judged by: both judges agree" in block
    assert "the judges DISAGREE: 0" in report


def test_denials_use_each_services_error_convention():
    assert hook.denied_error("s3", "rest-xml", False) == ("AccessDenied", 403)
    assert hook.denied_error("dynamodb", "json", False) == ("AccessDeniedException", 400)
    assert hook.denied_error("lambda", "rest-json", False) == ("AccessDeniedException", 403)
    assert hook.denied_error("sqs", "json", True) == ("AccessDenied", 403)  # query-compatible
    assert hook.denied_error("sts", "query", False) == ("AccessDenied", 403)
    assert hook.denied_error("sns", "query", False) == ("AuthorizationError", 403)
    assert hook.denied_error("ec2", "ec2", False) == ("UnauthorizedOperation", 403)


def test_without_verify_no_decision_is_asked(monkeypatch, tmp_path):
    monkeypatch.setenv(hook.SOCKET, "relative/verify.sock")
    assert "not an absolute path" in hook._ask({})["error"]
    monkeypatch.setenv(hook.SOCKET, str(tmp_path / "absent.sock"))
    assert "no decision" in hook._ask({})["error"]


CALL = RecordedCall("lambda", "Invoke", "invoke", "us-east-1", (), FUNCTION, None, Frame("fn/a.py", 3, "f"), ())


def _check(action, status=Status.ALLOWED, resource="arn:aws:lambda:us-east-1:1:function:f"):
    return Check(CALL, action, resource, status, "")


def test_moto_is_compared_only_on_the_action_iam_checks():
    # moto names Invoke after the API operation: not IAM's lambda:InvokeFunction, so not compared
    report = compare(CALL, (_check("lambda:InvokeFunction"),), [MotoCheck("lambda:Invoke", "*", False, False)], False, "")
    assert report.judged is Judged.POLICYGEN_ONLY
    assert "moto checked lambda:Invoke, which is not the IAM action (lambda:InvokeFunction)" in report.notes[0]


def test_moto_judging_the_action_only_leaves_the_resource_to_policygen():
    denied = (_check("lambda:InvokeFunction", Status.DENIED),)
    report = compare(CALL, denied, [MotoCheck("lambda:InvokeFunction", "*", False, True)], False, "")
    assert report.judged is Judged.POLICYGEN_ONLY
    assert any("the resource was judged by policygen's evaluator alone" in n for n in report.notes)
    # moto denying the action policygen's evaluator allowed is a disagreement
    allowed = (_check("lambda:InvokeFunction"),)
    report = compare(CALL, allowed, [MotoCheck("lambda:InvokeFunction", "*", False, False)], False, "")
    assert report.judged is Judged.DISAGREE


def test_a_call_policygen_cannot_map_is_judged_by_moto_alone():
    report = compare(CALL, NotJudged(CALL, "unknown"), [MotoCheck("lambda:Invoke", "*", True, True)], False, "")
    assert report.judged is Judged.MOTO_ONLY
    report = compare(CALL, NotJudged(CALL, "unknown"), [], False, "moto is not in use")
    assert report.judged is Judged.NEITHER and "moto did not judge it: moto is not in use" in report.notes


def test_the_child_reads_the_policy_only_from_a_valid_file(monkeypatch, tmp_path):
    good = {"format": hook.POLICY_FORMAT, "version": hook.POLICY_VERSION, "documents": [{"Statement": []}]}
    cases = [
        ("relative.json", None, []),  # not an absolute path: ignored
        (str(tmp_path / "other.json"), {**good, "format": "something-else"}, []),
        (str(tmp_path / "newer.json"), {**good, "version": hook.POLICY_VERSION + 1}, []),
        (str(tmp_path / "shape.json"), {**good, "documents": ["not a document"]}, []),
        (str(tmp_path / "good.json"), good, [{"Statement": []}]),
    ]
    for path, content, expected in cases:
        if content is not None:
            Path(path).write_text(json.dumps(content))
        monkeypatch.setenv(hook.POLICY, path)
        monkeypatch.setattr(hook, "_policies", None)
        assert hook._load_policies() == expected, path
