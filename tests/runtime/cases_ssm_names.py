"""SSM parameter names with a leading slash, through every way a name reaches the ARN: a single
`Name`, a list of `Names`, written and deleted. The parameter ARN holds the name without its slash."""

from __future__ import annotations

from .harness import REGION, Case


def _config() -> None:
    import boto3

    ssm = boto3.client("ssm", region_name=REGION)
    for name, value in {"/shop/currency": "EUR", "/shop/tax-rate": "0.2", "/shop/stale-lock": "x"}.items():
        ssm.put_parameter(Name=name, Value=value, Type="String")


CASES = (
    Case(
        "shop_config",
        _config,
        # GetParameters, PutParameter and DeleteParameters are each authorized on the parameters
        # they name (Systems Manager API reference)
        frozenset({"ssm:GetParameters", "ssm:PutParameter", "ssm:DeleteParameters"}),
        env={"CONFIG_PREFIX": "/shop"},
        cli=True,
    ),
)
