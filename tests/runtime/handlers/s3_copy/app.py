import os

import boto3

s3 = boto3.client("s3")
archive = boto3.resource("s3").Bucket(os.environ["ARCHIVE_BUCKET"])
SOURCE = os.environ["SOURCE_BUCKET"]


def handler(event, context):
    # the dict form, the string form, and the resource API: each reads one object of SOURCE
    s3.copy_object(
        CopySource={"Bucket": SOURCE, "Key": "reports/daily.csv"},
        Bucket=os.environ["ARCHIVE_BUCKET"],
        Key="archive/daily.csv",
    )
    s3.copy_object(CopySource=f"{SOURCE}/reports/summary.json", Bucket=archive.name, Key="archive/summary.json")
    archive.Object("archive/totals.csv").copy_from(CopySource={"Bucket": SOURCE, "Key": "reports/totals.csv"})
    return {"copied": 3}
