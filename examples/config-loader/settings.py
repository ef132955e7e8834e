import json
import os

import boto3

STAGE = os.environ["STAGE"]
_ssm = None
_secrets = boto3.client("secretsmanager")


def ssm():
    global _ssm
    if _ssm is None:
        _ssm = boto3.client("ssm")
    return _ssm


def load_settings():
    flags = ssm().get_parameter(Name=f"/{STAGE}/feature-flags", WithDecryption=True)["Parameter"]["Value"]
    tuning = ssm().get_parameters_by_path(Path="/%s/tuning" % STAGE, Recursive=True)
    secret = _secrets.get_secret_value(SecretId=os.environ["DB_SECRET"])
    return {"flags": flags, "tuning": tuning, "db": json.loads(secret["SecretString"])}
