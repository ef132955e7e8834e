"""Run by hand after a deploy: `python smoke.py` against the dev buckets."""

from app import lambda_handler

print(lambda_handler({"Records": [{"s3": {"object": {"key": "smoke/cat.jpg"}}}]}, None))
