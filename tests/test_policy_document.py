"""The policy model: reading IAM JSON as IAM reads it, writing it back, bad input named exactly."""

from __future__ import annotations

import json

import pytest

from policygen.errors import PolicyError
from policygen.model import Action, Arn, Condition, Policy, Statement
from policygen.policy import (
    Effect,
    PolicyDocument,
    PolicyStatement,
    from_generated,
    parse_policy,
    parse_policy_text,
    parse_statement,
    to_json,
)
from policygen.render.json_policy import policy_document

CURRENT = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders/*"},
    {
      "effect": "Deny",
      "NOTACTION": ["iam:*", "sts:AssumeRole"],
      "NotResource": "arn:aws:iam::111122223333:role/ci",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": false}, "NumericLessThan": {"s3:max-keys": 10}}
    },
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sqs:*"], "Resource": ["*"]}
  ]
}
"""


def test_reads_what_a_current_policy_contains():
    (doc,) = parse_policy_text(CURRENT, "current.json")
    assert doc.version == "2012-10-17"
    read, deny, principal = doc.statements
    assert read == PolicyStatement(Effect.ALLOW, ("s3:GetObject",), ("arn:aws:s3:::orders/*",), sid="Read")
    assert deny.effect is Effect.DENY and deny.not_action and deny.not_resource
    assert deny.actions == ("iam:*", "sts:AssumeRole")
    assert deny.resources == ("arn:aws:iam::111122223333:role/ci",)
    assert deny.conditions == (
        Condition("Bool", "aws:MultiFactorAuthPresent", ("false",)),
        Condition("NumericLessThan", "s3:max-keys", ("10",)),
    )
    assert principal.principal == '{"AWS":"*"}'  # kept, not evaluated
    assert (deny.origin.source, deny.origin.index, deny.origin.line) == ("current.json", 1, 5)
    assert str(deny.origin) == "current.json:5 Statement[1]"


def test_writes_back_what_it_read():
    (doc,) = parse_policy_text(CURRENT, "current.json")
    written = to_json(doc)
    assert written["Statement"][1] == {
        "Effect": "Deny",
        "NotAction": ["iam:*", "sts:AssumeRole"],
        "NotResource": ["arn:aws:iam::111122223333:role/ci"],
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": ["false"]}, "NumericLessThan": {"s3:max-keys": ["10"]}},
    }
    assert written["Statement"][2]["Principal"] == {"AWS": "*"}
    (again,) = parse_policy_text(json.dumps(written), "again.json")
    assert again == doc


def test_a_single_statement_object_and_a_missing_version():
    doc = parse_policy({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}, "t.yaml")
    assert doc.version is None and not doc.variables  # IAM reads a missing Version as 2008-10-17
    assert to_json(doc) == {"Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["*"]}]}


def test_a_list_of_documents_as_policygen_writes_split_policies():
    text = json.dumps([{"Version": "2012-10-17", "Statement": []}, {"Version": "2012-10-17", "Statement": []}])
    docs = parse_policy_text(text, "split.json")
    assert [d.source for d in docs] == ["split.json[0]", "split.json[1]"]


def test_generated_policies_convert_to_the_same_json():
    generated = Policy(
        (
            Statement("S3Read", (Action("s3:GetObject"),), (Arn("arn:aws:s3:::b/*"),)),
            Statement(
                "KmsDecrypt",
                (Action("kms:Decrypt"),),
                (Arn("arn:aws:kms:us-east-1:111122223333:key/k"),),
                (Condition("StringEquals", "kms:ViaService", ("s3.us-east-1.amazonaws.com",)),),
            ),
        )
    )
    converted = from_generated(generated)
    assert isinstance(converted, PolicyDocument)
    assert to_json(converted) == policy_document(generated)
    assert converted.statements[1].conditional


def test_statements_from_a_template_take_resource_readers():
    statement = parse_statement(
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": {"Fn::GetAtt": ["Table", "Arn"]}},
        "template.yaml:12",
        0,
        sid="Inline0",
        resource_patterns=lambda value: ["arn:aws:dynamodb:*:*:table/orders-*"],
    )
    assert statement.sid == "Inline0"
    assert statement.resources == ("arn:aws:dynamodb:*:*:table/orders-*",)


BAD = [
    ("{", "bad.json:1:2: not valid JSON: Expecting property name enclosed in double quotes"),
    ('{"Statement": []} x', "bad.json:1:19: not valid JSON: extra data after the document"),
    ("[]", "bad.json:1:1: an empty list; expected a policy document or a list of them"),
    ('"s3:*"', 'bad.json: a policy document is a JSON object, not the string "s3:*"'),
    ('{"Version": "2012-10-17"}', 'bad.json:1:1: the policy document has no Statement; add "Statement": [...]'),
    ('{"Version": "2019-01-01", "Statement": []}', 'bad.json:1:1: Version is "2019-01-01"; use "2012-10-17"'),
    ('{"Statement": [], "Statements": []}', 'bad.json:1:1: the policy document: unknown element \'Statements\' (did you mean "Statement"?)'),
    ('{"Statement": 3}', "bad.json:1:1: Statement is the value 3; it must be an object or a list of objects"),
    ('{"Statement": ["s3:*"]}', 'bad.json: Statement[0] is the string "s3:*"; each statement is a JSON object'),
    (
        '{"Statement": [\n  {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n  {"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}',
        'bad.json:3:3: Statement[1]: Effect is "allow"; IAM accepts only "Allow" or "Deny" (case-sensitive)',
    ),
    (
        '{"Statement": [{"Sid": "X", "Action": "s3:*", "Resource": "*"}]}',
        'bad.json:1:16: Statement[0] (Sid "X"): no Effect; add "Effect": "Allow" or "Effect": "Deny"',
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}]}',
        "bad.json:1:16: Statement[0]: give Action or NotAction, not both",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}',
        "bad.json:1:16: Statement[0]: no Resource or NotResource; a statement needs one of them",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}',
        "bad.json:1:16: Statement[0]: Action is an empty list; list at least one pattern",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]}',
        'bad.json:1:16: Statement[0]: action "s3GetObject" is not "service:Action" (e.g. "s3:GetObject") or "*"',
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "orders/*"}]}',
        'bad.json:1:16: Statement[0]: resource "orders/*" is neither an ARN ("arn:...") nor "*"',
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}',
        "bad.json:1:16: Statement[0]: Action holds the value 1; each entry must be a string",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": "true"}}]}',
        "bad.json:1:16: Statement[0]: Condition operator 'Bool' holds the string \"true\"; it must map condition keys to values",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Effect": "Deny"}]}',
        "bad.json:1:16: Statement[0]: Effect is given twice (IAM reads element names case-insensitively)",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "effect": "Deny"}]}',
        "bad.json:1:16: Statement[0]: Effect is given twice (IAM reads element names case-insensitively)",
    ),
    (
        '{"Statement": [{"Effect": "Allow", "Actions": "s3:*", "Resource": "*"}]}',
        'bad.json:1:16: Statement[0]: unknown element \'Actions\' (did you mean "Action"?)',
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_policies_name_the_file_position_and_what_to_do(text: str, message: str):
    with pytest.raises(PolicyError) as error:
        parse_policy_text(text, "bad.json")
    assert str(error.value) == message


def test_a_parsed_value_without_positions_names_the_statement():
    with pytest.raises(PolicyError) as error:
        parse_policy({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "template.yaml:40 Policies[0]")
    assert str(error.value) == (
        "template.yaml:40 Policies[0]: Statement[0]: no Action or NotAction; a statement needs one of them"
    )
    assert (error.value.line, error.value.column) == (0, 0)
