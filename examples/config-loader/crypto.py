import base64

import boto3

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
kms = boto3.client("kms")


def unwrap_key(wrapped):
    blob = base64.b64decode(wrapped)
    return kms.decrypt(CiphertextBlob=blob, KeyId=KEY_ARN)["Plaintext"]
