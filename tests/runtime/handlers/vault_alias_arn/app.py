"""Makes a data key under the vault key, named by its alias ARN, and unwraps it again."""

import os

import boto3

kms = boto3.client("kms")
KEY = f"arn:aws:kms:{os.environ['AWS_REGION']}:{os.environ['ACCOUNT_ID']}:alias/vault"


def handler(event, context):
    data_key = kms.generate_data_key(KeyId=KEY, KeySpec="AES_256")
    plain = kms.decrypt(KeyId=KEY, CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]
    return plain == data_key["Plaintext"]
