import boto3


class Storage:
    def __init__(self, media_bucket, thumbs_bucket):
        self.client = boto3.client("s3")
        self.s3 = boto3.resource("s3")
        self.media = media_bucket
        self.thumbs = thumbs_bucket

    def fetch(self, key):
        local = "/tmp/" + key.replace("/", "_")
        self.client.download_file(self.media, key, local)
        return local

    def publish_thumbnail(self, local, key):
        self.s3.Bucket(self.thumbs).upload_file(local, key)
        waiter = self.client.get_waiter("object_exists")
        waiter.wait(Bucket=self.thumbs, Key=key)

    def link(self, key):
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.thumbs, "Key": key}, ExpiresIn=3600)

    def tidy_drafts(self):
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.media, Prefix="drafts/"):
            pass
        for obj in self.s3.Bucket(self.media).objects.filter(Prefix="drafts/"):
            obj.delete()
