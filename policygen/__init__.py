"""policygen: least-privilege IAM policies for Python AWS Lambda functions."""

__version__ = "0.1.0"
