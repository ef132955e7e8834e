"""S3 copies read their source: the source read is scoped to the bucket and key the copy names,
whichever form of CopySource (dict or ``"bucket/key"`` string) and whichever call makes the copy."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import policygen
from policygen.cli import main

TARGET = policygen.Target("aws", "us-east-1", "123456789012")


def grants(tmp_path: Path, code: str) -> set[tuple[str, str]]:
    (tmp_path / "app.py").write_text("import boto3\ns3 = boto3.client('s3')\nres = boto3.resource('s3')\n"
                                     + textwrap.dedent(code))
    result = policygen.generate(tmp_path, policygen.Options(target=TARGET))
    library = {(p.action, p.resource) for p in result.permissions}
    args = ["generate", str(tmp_path), "--no-cache", "--format", "json-report"]
    report = CliRunner().invoke(main, [*args, "--region", TARGET.region, "--account", TARGET.account])
    assert report.exit_code == 0, report.output
    cli = {(p["action"], p["resource"]) for p in json.loads(report.stdout)["permissions"]}
    assert cli == library
    return library


COPIES = {
    "client copy_object, dict": 's3.copy_object(CopySource={"Bucket": "src", "Key": "in/a"}, Bucket="dst", Key="out/a")',
    "client copy_object, string": 's3.copy_object(CopySource="src/in/a", Bucket="dst", Key="out/a")',
    "client copy_object, leading slash": 's3.copy_object(CopySource="/src/in/a", Bucket="dst", Key="out/a")',
    "client copy, positional dict": 's3.copy({"Bucket": "src", "Key": "in/a"}, "dst", "out/a")',
    "client upload_part_copy": 's3.upload_part_copy(CopySource={"Bucket": "src", "Key": "in/a"}, Bucket="dst", '
    'Key="out/a", PartNumber=1, UploadId="u")',
    "resource Object.copy_from": 'res.Object("dst", "out/a").copy_from(CopySource={"Bucket": "src", "Key": "in/a"})',
    "resource Object.copy": 'res.Object("dst", "out/a").copy({"Bucket": "src", "Key": "in/a"})',
    "resource Bucket.copy": 'res.Bucket("dst").copy({"Bucket": "src", "Key": "in/a"}, "out/a")',
}


@pytest.mark.parametrize("call", COPIES.values(), ids=COPIES.keys())
def test_copy_reads_only_the_named_source(tmp_path, call):
    granted = grants(tmp_path, f"def handler(event, context):\n    {call}\n")
    assert ("s3:GetObject", "arn:aws:s3:::src/in/a") in granted
    assert ("s3:PutObject", "arn:aws:s3:::dst/out/a") in granted
    # negative: nothing wider than the named source object is readable
    assert {r for a, r in granted if a == "s3:GetObject"} == {"arn:aws:s3:::src/in/a"}


def test_string_copy_source_key_is_url_decoded(tmp_path):
    granted = grants(tmp_path, 'def handler(e, c):\n    s3.copy_object(CopySource="src/a%20b.txt", Bucket="d", Key="k")\n')
    assert ("s3:GetObject", "arn:aws:s3:::src/a b.txt") in granted
    assert ("s3:GetObject", "arn:aws:s3:::src/a%20b.txt") not in granted


def test_unknown_source_key_widens_the_key_only(tmp_path):
    granted = grants(
        tmp_path,
        'def handler(event, context):\n'
        '    s3.copy_object(CopySource={"Bucket": "src", "Key": event["key"]}, Bucket="dst", Key="k")\n',
    )
    assert {r for a, r in granted if a == "s3:GetObject"} == {"arn:aws:s3:::src/*"}


def test_unknown_copy_source_is_still_widened_not_dropped(tmp_path):
    granted = grants(tmp_path, 'def handler(event, context):\n    s3.copy_object(CopySource=event["src"], Bucket="d", Key="k")\n')
    assert ("s3:GetObject", "arn:aws:s3:::*/*") in granted
