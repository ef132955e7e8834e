"""On upload: label the image, make a thumbnail, publish a download link, tidy old drafts."""

import os

import boto3

from media.labels import detect_labels
from media.storage import Storage

storage = Storage(os.environ["MEDIA_BUCKET"], os.environ["THUMBS_BUCKET"])


def lambda_handler(event, context):
    key = event["Records"][0]["s3"]["object"]["key"]
    local = storage.fetch(key)
    labels = detect_labels(os.environ["MEDIA_BUCKET"], key)
    thumb_key = "thumbs/" + key
    storage.publish_thumbnail(local, thumb_key)
    url = storage.link(thumb_key)
    storage.tidy_drafts()
    return {"labels": labels, "url": url}
