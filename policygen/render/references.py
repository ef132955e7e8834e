"""Writing resource ARNs the way the deployment file would: with references to its own resources
and parameters instead of the names they resolved to, so the output can be pasted into the
template or module as it is.

A name is replaced only as a whole ARN segment (between ``:``, ``/`` or the ends), longest first,
so ``orders`` never matches inside ``orders-archive``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from policygen.model import IacReference, Target

Part = str | IacReference


def _applies(reference: IacReference, service: str) -> bool:
    # A function's name also names its log group (/aws/lambda/<name>).
    return reference.service in (None, service) or (service == "logs" and reference.service == "lambda")


def split(arn: str, references: Sequence[IacReference]) -> list[Part]:
    """``arn`` as literal text and references, in order. Names are looked for in the resource part
    only, and only names of the ARN's own service (two resources may share a name)."""
    pieces = arn.split(":", 5)
    if len(pieces) < 6 or pieces[0] != "arn":
        return [arn]
    prefix, resource, service = ":".join(pieces[:5]) + ":", pieces[5], pieces[2]
    parts: list[Part] = [resource]
    for reference in sorted(references, key=lambda r: -len(r.pattern)):
        if not reference.pattern or reference.pattern == "*" or not _applies(reference, service):
            continue
        pattern = re.compile(rf"(?:(?<=[:/])|^){re.escape(reference.pattern)}(?=[:/]|$)")
        out: list[Part] = []
        for part in parts:
            if not isinstance(part, str):
                out.append(part)
                continue
            position = 0
            for match in pattern.finditer(part):
                out.append(part[position : match.start()])
                out.append(reference)
                position = match.end()
            out.append(part[position:])
        parts = [p for p in out if p != ""]
    return [prefix, *parts]


def cloudformation_value(
    arn: str, references: Sequence[IacReference], target: Target
) -> str | dict[str, str]:
    """A plain string, or ``{"Fn::Sub": ...}`` with the template's own names and the pseudo
    parameters in the ARN's partition, region and account fields."""
    parts = split(arn, references)
    if parts and parts[0] != arn and isinstance(parts[0], str):
        fields = parts[0].split(":")
        pseudo = {
            1: (target.partition, "AWS::Partition"),
            3: (target.region, "AWS::Region"),
            4: (target.account, "AWS::AccountId"),
        }
        prefix: list[Part] = []
        for index, field in enumerate(fields[:5]):
            value, name = pseudo.get(index, ("", ""))
            prefix.append(IacReference(value, name) if name and field == value and value != "*" else field)
            prefix.append(":")
        parts = [*prefix, *parts[1:]]
    if all(isinstance(p, str) for p in parts):
        return arn
    text = "".join(p.replace("${", "${!") if isinstance(p, str) else "${" + p.expression + "}" for p in parts)
    return {"Fn::Sub": text}
