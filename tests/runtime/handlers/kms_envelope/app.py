"""Encrypts a customer note under the application key (named by its alias) and checks the round trip."""

import boto3

kms = boto3.client("kms")
KEY = "alias/app-data"


def handler(event, context):
    blob = kms.encrypt(KeyId=KEY, Plaintext=event["note"].encode())["CiphertextBlob"]
    plain = kms.decrypt(KeyId=KEY, CiphertextBlob=blob)["Plaintext"]
    return plain.decode() == event["note"]
