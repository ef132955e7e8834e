from unittest import mock

import app


def test_thumbnail_key():
    with mock.patch("boto3.client") as client:
        client.return_value.get_object.return_value = {"Body": mock.Mock(read=lambda: b"x" * 64)}
        result = app.lambda_handler({"Records": [{"s3": {"object": {"key": "a.jpg"}}}]}, None)
    assert result["thumbnail"] == "thumbs/a.jpg"
