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

Each process that starts the recorder writes ``{"process": pid, "botocore": bool}`` first (so
`record` can tell a command that made no call from one whose interpreters never ran the recorder).
Each call is appended as one JSON line to the file named by ``POLICYGEN_RECORD_FILE`` (append
mode, one write per line, so several processes of one run can share it).

Under `policygen verify` two more things happen, for the function's own calls only (a frame of the
analysed code on the stack; test set-up calls are never enforced):

- Enforcement (``POLICYGEN_VERIFY_SOCKET``, a Unix socket in verify's private temporary folder):
  before the call is sent, the recorded entry is sent to the verify process, which judges it with
  policygen's IAM evaluator (the mapping and the evaluator live in policygen, which this file may
  not import). A denied call is answered at ``before-call`` with the error the service would
  return (``AccessDenied`` for S3/IAM/STS/SQS, ``AccessDeniedException`` for JSON services...), so
  botocore raises the same ``ClientError`` production would, where the call is made.
- moto's judgement (``POLICYGEN_VERIFY_POLICY``, the policy as a validated JSON file): when the
  call reaches moto, moto's own request authorization (``_authenticate_and_authorize_action``, with
  the resource moto determines for the request) is asked about it with moto's own policy evaluator
  (``IAMPolicy.is_action_permitted``), whether or not the tests enabled moto's IAM enforcement; the
  verdict is written as a line of its own. It never changes what moto answers. moto 4's per-service
  mocks (``mock_s3``...) and moto 5's ``mock_aws`` are both asked (the mixin lives in
  ``moto.core.responses`` in moto 4, ``moto.core.authorization`` in moto 5; each names the action
  its own way, see `_moto_operation`). A call moto answers without running its authorization (moto 4
  never authorizes DynamoDB, for one) is written as ``unchecked``, so the report says moto saw it
  and did not judge it.
"""

from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import socket
import sys
import threading
from types import FrameType
from typing import Any

RECORD_FILE = "POLICYGEN_RECORD_FILE"
ROOTS = "POLICYGEN_RECORD_ROOTS"  # the analysed code folders, os.pathsep-separated
SOCKET = "POLICYGEN_VERIFY_SOCKET"  # verify's decision socket (enforcement), absolute path
POLICY = "POLICYGEN_VERIFY_POLICY"  # the policy under verification (moto's judgement), absolute path
POLICY_FORMAT = "policygen-verify-policy"
POLICY_VERSION = 1
DECISION_TIMEOUT = 60.0  # seconds a call waits for verify's decision before it is sent unjudged

# Parameters that name a resource: AWS's own naming (Bucket, Key, TableName, QueueUrl, TopicArn,
# FunctionName, SecretId, StateMachineArn...). Only string values are kept: item bodies, message
# bodies and expression values are data, not names, and are never written.
_NAMING = re.compile(r"(Name|Names|Arn|ARN|Arns|Url|URL|Id|Ids|Bucket|Key|Prefix|Identifier|Source|Alias)$")
_MAX_VALUE = 2048
_lock = threading.Lock()
_ids = itertools.count(1)
_current = threading.local()  # the function's call this thread is sending, for moto's judgement
_policies: list[Any] | None = None


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


def _write(entry: dict[str, Any]) -> None:
    path = os.environ.get(RECORD_FILE)
    if not path:
        return
    line = json.dumps(entry, sort_keys=True) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as handle:
        handle.write(line)


def _ask(entry: dict[str, Any]) -> dict[str, Any]:
    """Verify's decision on one of the function's calls: {"deny": bool, "action", "resource",
    "principal"}; {"error": ...} when no decision could be had (the call is then sent unjudged)."""
    path = os.environ.get(SOCKET, "")
    if not os.path.isabs(path):
        return {"error": f"{SOCKET} is not an absolute path"}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(DECISION_TIMEOUT)
            conn.connect(path)
            conn.sendall(json.dumps(entry, sort_keys=True).encode("utf-8") + b"\n")
            chunks: list[bytes] = []
            while not chunks or not chunks[-1].endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        answer = json.loads(b"".join(chunks).decode("utf-8"))
        return answer if isinstance(answer, dict) else {"error": "an unreadable decision"}
    except (OSError, ValueError) as exc:
        return {"error": f"no decision from policygen verify ({exc.__class__.__name__})"}


# The error each service answers a denied request with: by protocol, then the services whose
# convention differs (query-compatible JSON services keep their query error codes).
_DENIED_BY_PROTOCOL = {
    "rest-xml": ("AccessDenied", 403),
    "query": ("AccessDenied", 403),
    "ec2": ("UnauthorizedOperation", 403),
    "json": ("AccessDeniedException", 400),
    "rest-json": ("AccessDeniedException", 403),
    "smithy-rpc-v2-cbor": ("AccessDeniedException", 400),
}
_DENIED_BY_SERVICE = {"sns": ("AuthorizationError", 403), "ec2": ("UnauthorizedOperation", 403)}


def denied_error(service: str, protocol: str, query_compatible: bool) -> tuple[str, int]:
    """The error code and HTTP status ``service`` answers an unauthorized request with."""
    if service in _DENIED_BY_SERVICE:
        return _DENIED_BY_SERVICE[service]
    if query_compatible:
        return ("AccessDenied", 403)
    return _DENIED_BY_PROTOCOL.get(protocol, ("AccessDeniedException", 403))


def _denial(model: Any, decision: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse

    service_model = model.service_model
    metadata = getattr(service_model, "metadata", {}) or {}
    code, status = denied_error(
        service_model.service_name, str(metadata.get("protocol", "")), "awsQueryCompatible" in metadata
    )
    action, resource = decision.get("action", "?"), decision.get("resource", "?")
    message = (
        f"User: {decision.get('principal', 'the function')} is not authorized to perform: {action} "
        f"on resource: {resource} because no identity-based policy allows the {action} action"
    )
    metadata_out = {"HTTPStatusCode": status, "HTTPHeaders": {}, "RequestId": "policygen-verify", "RetryAttempts": 0}
    parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata_out}
    return AWSResponse("https://policygen-verify.invalid/", status, {}, None), parsed


def _on_call(params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
    try:
        if not os.environ.get(RECORD_FILE) or model is None:
            return
        from botocore import xform_name

        frames = _frames(sys._getframe(1), _roots())
        region = context.get("client_region") if isinstance(context, dict) else None
        entry = {
            "id": f"{os.getpid()}-{next(_ids)}",
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
        _write(entry)
        if not frames or not isinstance(context, dict):
            return  # test set-up: recorded, never enforced nor judged
        context["policygen_call"] = entry["id"]
        if os.environ.get(SOCKET):
            decision = _ask(entry)
            if decision.get("error"):
                _write({"unenforced": entry["id"], "reason": str(decision["error"])})
            elif decision.get("deny"):
                context["policygen_denial"] = decision
    except Exception:  # a recorder must never break the user's tests
        return


def _before_call(model: Any = None, context: Any = None, **_: Any) -> Any:
    """Answer a denied call as the service would, before it is sent; and note which of the
    function's calls this thread sends next, for moto's judgement."""
    try:
        if not isinstance(context, dict):
            _current.call = None
            return None
        _current.call = context.get("policygen_call")
        decision = context.get("policygen_denial")
        if decision is None or model is None:
            if _current.call and os.environ.get(POLICY):
                _patch_moto()
            return None
        _current.call = None  # answered here: it never reaches moto
        return _denial(model, decision)
    except Exception:
        return None


def _load_policies() -> list[Any]:
    """The policy documents under verification, from the validated file verify wrote."""
    global _policies
    if _policies is None:
        _policies = []
        path = os.environ.get(POLICY, "")
        if os.path.isabs(path):
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
            if (
                isinstance(document, dict)
                and document.get("format") == POLICY_FORMAT
                and document.get("version") == POLICY_VERSION
                and isinstance(document.get("documents"), list)
                and all(isinstance(d, dict) and "Statement" in d for d in document["documents"])
            ):
                _policies = list(document["documents"])
    return _policies


def _as_action_only(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every statement's resource read as ``*``: moto's verdict on the action
    alone, for requests moto checks against ``*`` (it names no resource for them)."""
    statements = document.get("Statement")
    out = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict):
            statement = {k: v for k, v in statement.items() if k not in ("Resource", "NotResource")}
            statement["Resource"] = "*"
        out.append(statement)
    return {**document, "Statement": out}


def _moto_permitted(documents: list[Any], action: str, resource: str) -> bool:
    """moto's own decision (``IAMRequestBase.check_action_permitted``): a DENIED statement wins,
    else any PERMITTED one; conditions are moto's business (it reads none for identity policies)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    with_resource = "resource" in inspect.signature(IAMPolicy.is_action_permitted).parameters
    permitted = False
    for document in documents:
        policy = IAMPolicy(json.dumps(document))
        # moto before 4.1 judges the action alone (its evaluator takes no resource)
        result = policy.is_action_permitted(action, resource) if with_resource else policy.is_action_permitted(action)
        if result == PermissionResult.DENIED:
            return False
        if result == PermissionResult.PERMITTED:
            permitted = True
    return permitted


def _moto_operation(request: Any, iam_request_cls: type) -> Any:
    """The operation moto's own request authorization names the action after. moto 5 passes the
    request's ``_get_action()`` to its IAM request class (which takes an ``action``); moto 4's class
    reads it itself (``IAMRequestBase._action_from_request``): the ``X-Amz-Target`` header's last
    part, else the ``Action`` its response handler put in ``data`` (S3 names ListAllMyBuckets so)."""
    if "action" in inspect.signature(iam_request_cls).parameters:
        return request._get_action()
    target = request.headers.get("X-Amz-Target")
    return target.split(".")[-1] if target else request.data["Action"]


def _moto_judge(request: Any, iam_request_cls: type, resource: str) -> None:
    call = getattr(_current, "call", None)
    if not call:
        return
    try:
        headers = request.headers
        authorization = str(headers.get("Authorization") or "")
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        operation = _moto_operation(request, iam_request_cls)
        operation = operation[0] if isinstance(operation, list) else operation
        action = f"{scope[3]}:{operation}"
        _current.moto_judged = True
        documents = _load_policies()
        if not documents:
            _write({"moto_for": call, "error": "the policy file is missing or invalid"})
            return
        verdict: dict[str, Any] = {
            "moto_for": call,
            "action": action,
            "resource": resource,
            "allowed": _moto_permitted(documents, action, resource),
        }
        if resource == "*":
            verdict["action_allowed"] = _moto_permitted([_as_action_only(d) for d in documents], action, "*")
        _write(verdict)
    except Exception as exc:
        _write({"moto_for": call, "error": f"moto could not be asked ({exc.__class__.__name__})"})


def _patch_moto() -> None:
    """Have moto's request authorization report its verdict on the function's calls (once moto is
    imported: it is imported by the tests, after this hook)."""
    mixin = None
    for module in ("moto.core.authorization", "moto.core.responses"):  # moto 5, moto 4
        mixin = getattr(sys.modules.get(module), "ActionAuthenticatorMixin", None)
        if mixin is not None:
            break
    if mixin is not None and not getattr(mixin, "_policygen_judged", False):
        original = mixin._authenticate_and_authorize_action
        # moto before 4.1 names no resource here: its check is on the action alone
        takes_resource = "resource" in inspect.signature(original).parameters

        def authorize(self: Any, iam_request_cls: type, *args: Any, **kwargs: Any) -> None:
            resource = (args[0] if args else kwargs.get("resource", "*")) if takes_resource else "*"
            _moto_judge(self, iam_request_cls, resource)
            original(self, iam_request_cls, *args, **kwargs)

        mixin._authenticate_and_authorize_action = authorize
        mixin._policygen_judged = True
    _patch_stubber()


def _moto_version() -> str:
    return str(getattr(sys.modules.get("moto"), "__version__", "")) or "?"


def _patch_stubber() -> None:
    """Note the function's calls moto answered without running its request authorization (moto 4
    never authorizes DynamoDB requests, for one): moto did not judge them, and the report says so
    rather than claiming the tests did not use moto."""
    stubber = getattr(sys.modules.get("moto.core.botocore_stubber"), "BotocoreStubber", None)
    if stubber is None or getattr(stubber, "_policygen_judged", False):
        return
    original = stubber.__call__

    def answer(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        call = getattr(_current, "call", None)
        _current.moto_judged = False
        response = original(self, event_name, request, **kwargs)
        if call and response is not None and not _current.moto_judged:
            _write(
                {
                    "moto_for": call,
                    "unchecked": f"moto {_moto_version()} answered it without running its request "
                    "authorization (its IAM check does not cover this request)",
                }
            )
        return response

    stubber.__call__ = answer
    stubber._policygen_judged = True


def install() -> bool:
    """Add the recorder to the handlers botocore registers on each new Session. False when the
    interpreter has no botocore (nothing to record there) or recording is off."""
    if not os.environ.get(RECORD_FILE):
        return False
    try:
        from botocore import handlers
    except Exception:
        _write({"process": os.getpid(), "botocore": False})
        return False
    for entry in (("before-parameter-build", _on_call), ("before-call", _before_call)):
        if entry not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(entry)
    _write({"process": os.getpid(), "botocore": True})
    return True
