"""The partitions and regions resource ARNs can name, from botocore's endpoint data (shipped with
botocore, read offline): a typo'd ``--region`` or ``--account`` would give ARNs that match nothing."""

from __future__ import annotations

import difflib
import functools
from typing import Any

from policygen.errors import UsageError
from policygen.model import Target


@functools.cache
def partitions() -> dict[str, frozenset[str]]:
    """Each partition's regions, as botocore knows them."""
    from botocore.loaders import Loader

    data: Any = Loader().load_data("endpoints")
    return {p["partition"]: frozenset(p.get("regions", {})) for p in data["partitions"]}


def check_target(partition: str, region: str, account: str) -> Target:
    """A `Target` of a known partition, one of its regions (or ``*``) and a 12-digit account id
    (or ``*``); otherwise a `UsageError` that says what was expected and suggests the near miss."""
    known = partitions()
    if partition not in known:
        raise UsageError(f"--partition {partition}: unknown partition{_suggest(partition, known)}")
    if region != "*" and region not in known[partition]:
        elsewhere = sorted(p for p, regions in known.items() if region in regions)
        if elsewhere:
            raise UsageError(
                f"--region {region}: a region of partition {elsewhere[0]}, not {partition}; "
                f"add --partition {elsewhere[0]}"
            )
        raise UsageError(
            f"--region {region}: not a region of partition {partition}{_suggest(region, known[partition])} "
            "(a region newer than the installed botocore needs a botocore upgrade)"
        )
    if account != "*" and not (len(account) == 12 and account.isascii() and account.isdigit()):
        hint = f" ({len(account)} characters)" if account.isdigit() else ""
        raise UsageError(f"--account {account}: expected a 12-digit AWS account id{hint}, or * for any")
    return Target(partition, region, account)


def _suggest(word: str, choices: frozenset[str] | dict[str, Any]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else f"; one of {', '.join(sorted(choices))}"
