import os

import boto3


def lambda_handler(event, context):
    s3 = boto3.client("s3")
    key = event["Records"][0]["s3"]["object"]["key"]
    image = s3.get_object(Bucket=os.environ["SOURCE_BUCKET"], Key=key)["Body"].read()
    s3.put_object(Bucket=os.environ["THUMBS_BUCKET"], Key=f"thumbs/{key}", Body=image[:16])
    return {"thumbnail": f"thumbs/{key}", "bytes": len(image)}
