"""Loads the shop's settings from Parameter Store, records the last run and clears stale markers."""

import os
import time

import boto3

ssm = boto3.client("ssm")
PREFIX = os.environ["CONFIG_PREFIX"]  # "/shop"


def handler(event, context):
    found = ssm.get_parameters(Names=[f"{PREFIX}/currency", f"{PREFIX}/tax-rate"], WithDecryption=False)
    settings = {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in found["Parameters"]}
    ssm.put_parameter(Name=f"{PREFIX}/last-run", Value=str(int(time.time())), Type="String", Overwrite=True)
    ssm.delete_parameters(Names=[f"{PREFIX}/stale-lock"])
    return settings
