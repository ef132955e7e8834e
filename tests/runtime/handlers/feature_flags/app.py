"""Reads feature flags and the webhook secret through Powertools' parameters utility (cached)."""

import os

from aws_lambda_powertools.utilities import parameters


def handler(event, context):
    flags = parameters.get_parameters(os.environ["FLAGS_PATH"])
    checkout = parameters.get_parameter("/shop/checkout-mode")
    secret = parameters.get_secret(os.environ["WEBHOOK_SECRET"])
    return {"flags": sorted(flags), "checkout": checkout, "signed": bool(secret)}
