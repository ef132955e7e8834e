import json
import os

import boto3


def test_updates_stock_and_writes_report(app):
    result = app.handler({"batch": "b1", "items": [{"sku": "a", "quantity": 3}]}, None)
    assert result == {"updated": 1}
    item = boto3.resource("dynamodb").Table(os.environ["STOCK_TABLE"]).get_item(Key={"sku": "a"})["Item"]
    assert item["stock"] == 3
    body = boto3.client("s3").get_object(Bucket=os.environ["REPORT_BUCKET"], Key="reports/b1.json")["Body"]
    assert json.loads(body.read())["batch"] == "b1"


def test_tidy_deletes_old_reports(app):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=os.environ["REPORT_BUCKET"], Key="reports/old.json", Body=b"{}")
    app.handler({"batch": "b2", "tidy": ["old"]}, None)
    listed = s3.list_objects_v2(Bucket=os.environ["REPORT_BUCKET"], Prefix="reports/")
    assert [o["Key"] for o in listed["Contents"]] == ["reports/b2.json"]
