import boto3

from .config import ARCHIVE_BUCKET, RAW_PREFIX


class Archive:
    def __init__(self, bucket=ARCHIVE_BUCKET):
        self.s3 = boto3.client("s3")
        self.bucket = bucket

    def key_for(self, order_id):
        return RAW_PREFIX + order_id + ".json"

    def save_raw(self, order_id, body):
        self.s3.put_object(Bucket=self.bucket, Key=self.key_for(order_id), Body=body)

    def delete_raw(self, order_id):
        self.s3.delete_object(Bucket=self.bucket, Key=self.key_for(order_id))
