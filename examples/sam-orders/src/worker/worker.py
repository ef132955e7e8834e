import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        body = record.get("body") or json.dumps(record.get("dynamodb", {}))
        s3.put_object(Bucket=os.environ["REPORTS_BUCKET"], Key=f"incoming/{record['eventID']}.json", Body=body)
