"""The recorder that runs inside the user's test process (record stage, child side).

`policygen record` copies this file, unchanged, into a temporary folder that it puts first on the
child's ``PYTHONPATH``, next to a ``sitecustomize.py`` that imports it. It must therefore depend
on the standard library alone (and on botocore when the child has it), never on policygen: the
test command may run another interpreter or virtualenv.

How a call is seen: botocore registers the handlers listed in ``botocore.handlers.BUILTIN_HANDLERS``
on every Session it creates (moto installs its stubber the same way). One more entry there, for
``before-parameter-build``, sees every client call of every session (boto3's resource API and
paginators included) with the parameters the caller passed, before they are serialized. The hook
only reads: it never changes a parameter or answers a call.

Each call is appended as one JSON line to the file named by ``POLICYGEN_RECORD_FILE`` (append
mode, one write per line, so several processes of one run can share it).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from types import FrameType
from typing import Any

RECORD_FILE = "POLICYGEN_RECORD_FILE"
ROOTS = "POLICYGEN_RECORD_ROOTS"  # the analysed code folders, os.pathsep-separated

# Parameters that name a resource: AWS's own naming (Bucket, Key, TableName, QueueUrl, TopicArn,
# FunctionName, SecretId, StateMachineArn...). Only string values are kept: item bodies, message
# bodies and expression values are data, not names, and are never written.
_NAMING = re.compile(r"(Name|Names|Arn|ARN|Arns|Url|URL|Id|Ids|Bucket|Key|Prefix|Identifier|Source|Alias)$")
_MAX_VALUE = 2048
_lock = threading.Lock()


def _roots() -> list[str]:
    raw = os.environ.get(ROOTS, "")
    return [os.path.realpath(p) for p in raw.split(os.pathsep) if p]


def _is_test_file(path: str) -> bool:
    name = os.path.basename(path)
    parts = path.replace("\\", "/").split("/")
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or "tests" in parts
        or "test" in parts
        or "site-packages" in parts
        or "dist-packages" in parts
    )


def _in_package(path: str, roots: list[str]) -> str | None:
    """The root ``path`` lies under (it is the analysed code, not a test or a dependency), or None."""
    if not path or path.startswith("<"):
        return None
    real = os.path.realpath(path)
    for root in roots:
        if real == root or real.startswith(root + os.sep):
            if _is_test_file(os.path.relpath(real, root)):
                return None
            return root
    return None


def _frames(start: FrameType | None, roots: list[str]) -> list[dict[str, Any]]:
    """The stack frames inside the analysed code, innermost first."""
    out: list[dict[str, Any]] = []
    frame = start
    while frame is not None:
        code = frame.f_code
        root = _in_package(code.co_filename, roots)
        if root is not None:
            out.append(
                {
                    "file": os.path.realpath(code.co_filename),
                    "root": root,
                    "line": frame.f_lineno,
                    "function": code.co_name,
                }
            )
        frame = frame.f_back
    return out


def _naming_parameters(params: Any) -> dict[str, Any]:
    if not isinstance(params, dict):
        return {}
    out: dict[str, Any] = {}
    for name, value in params.items():
        if not isinstance(name, str):
            continue
        if name == "RequestItems" and isinstance(value, dict):  # DynamoDB batch: the keys are tables
            out[name] = sorted(str(k)[:_MAX_VALUE] for k in value)
        elif _NAMING.search(name) and isinstance(value, str):
            out[name] = value[:_MAX_VALUE]
        elif _NAMING.search(name) and isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[name] = [v[:_MAX_VALUE] for v in value][:100]
    return out


def _on_call(params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
    try:
        path = os.environ.get(RECORD_FILE)
        if not path or model is None:
            return
        from botocore import xform_name

        frames = _frames(sys._getframe(1), _roots())
        region = context.get("client_region") if isinstance(context, dict) else None
        entry = {
            "service": model.service_model.service_name,
            "signing_name": model.service_model.signing_name,
            "operation": model.name,
            "method": xform_name(model.name),
            "region": region if isinstance(region, str) else None,
            "parameters": _naming_parameters(params),
            "frames": frames,
            "test": os.environ.get("PYTEST_CURRENT_TEST"),
            "pid": os.getpid(),
        }
        line = json.dumps(entry, sort_keys=True) + "\n"
        with _lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
    except Exception:  # a recorder must never break the user's tests
        return


def install() -> bool:
    """Add the recorder to the handlers botocore registers on each new Session. False when the
    interpreter has no botocore (nothing to record there) or recording is off."""
    if not os.environ.get(RECORD_FILE):
        return False
    try:
        from botocore import handlers
    except Exception:
        return False
    entry = ("before-parameter-build", _on_call)
    if entry not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(entry)
    return True
