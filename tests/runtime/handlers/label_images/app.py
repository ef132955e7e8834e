"""Labels an uploaded image (S3 event) with Rekognition, which reads the object itself."""

import boto3

rekognition = boto3.client("rekognition")


def handler(event, context):
    record = event["Records"][0]["s3"]
    labels = rekognition.detect_labels(
        Image={"S3Object": {"Bucket": "acme-images", "Name": record["object"]["key"]}}, MaxLabels=5
    )
    return [label["Name"] for label in labels["Labels"]]
