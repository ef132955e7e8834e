"""The policy enforced while the user's tests run (verify stage, parent side of `hook`).

Consumes the policy documents under verification; during one `run.record` it serves the child's
questions ("may the function make this call?") on a Unix socket in the run's private temporary
folder (mode 0700, made by `tempfile`), answering with policygen's IAM evaluator by the same
mapping and scoping `verify.judge` uses after the run, so both always agree. It also writes the
policy as a validated JSON file for moto's judgement in the child. After the run it reads the
verdicts the child wrote (moto's, and calls that could not be enforced) and joins them to calls.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from policygen.model import Target
from policygen.policy.document import PolicyDocument, to_json
from policygen.record import hook
from policygen.record.observed import RecordedCall
from policygen.record.run import call_of
from policygen.record.verify import MotoCheck, NotJudged, Status, check_call

SOCKET_NAME = "verify.sock"
POLICY_NAME = "policy.json"


def principal(target: Target, name: str) -> str:
    """Who the denial messages name: the function's role, as AWS names an assumed role."""
    account = target.account if target.account.isdigit() else "000000000000"
    return f"arn:{target.partition}:sts::{account}:assumed-role/policygen-verify/{name}"


def _key(call: RecordedCall) -> RecordedCall:
    return replace(call, count=1)


class VerifySession:
    """One verify run: enforcement (unless ``enforce`` is off) and moto's judgement."""

    def __init__(
        self,
        documents: Sequence[PolicyDocument],
        target: Target,
        name: str,
        *,
        enforce: bool = True,
        belongs: Callable[[RecordedCall], bool] | None = None,
    ) -> None:
        self.belongs = belongs  # None: every call with a frame in the code is the function's
        self.documents = tuple(documents)
        self.target = target
        self.principal = principal(target, name)
        self.enforce = enforce
        self.cwd = Path.cwd()
        self.stopped: set[RecordedCall] = set()  # answered AccessDenied during the run
        self.unenforced: dict[RecordedCall, str] = {}  # no decision could be had: sent unjudged
        self.moto: dict[RecordedCall, list[MotoCheck]] = {}
        self.moto_unchecked: dict[RecordedCall, str] = {}  # moto answered it without authorizing it
        self.errors: list[str] = []  # questions the server could not answer
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingUnixStreamServer | None = None
        self._thread: threading.Thread | None = None

    # -- deciding -------------------------------------------------------------------------------
    def decide(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The answer to the child's question about one call (a recorder entry)."""
        call = call_of(raw, self.cwd)
        if self.belongs is not None and not self.belongs(call):
            return {"deny": False}  # another function's call (a project's functions sharing code)
        found = check_call(call, self.documents, self.target)
        if isinstance(found, NotJudged):
            return {"deny": False}
        for check in found:
            if check.status is Status.DENIED:
                with self._lock:
                    self.stopped.add(_key(call))
                return {
                    "deny": True,
                    "action": check.action,
                    "resource": check.resource,
                    "principal": self.principal,
                }
        return {"deny": False}

    def _answer(self, line: bytes) -> bytes:
        try:
            raw = json.loads(line.decode("utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            answer = self.decide(raw)
        except Exception as exc:  # the child sends the call unjudged and says so; the run goes on
            with self._lock:
                self.errors.append(f"{exc.__class__.__name__}: {exc}")
            answer = {"error": f"policygen verify could not judge the call ({exc.__class__.__name__})"}
        return json.dumps(answer, sort_keys=True).encode("utf-8") + b"\n"

    # -- the run --------------------------------------------------------------------------------
    def start(self, folder: Path, cwd: Path) -> dict[str, str]:
        self.cwd = cwd
        policy = folder / POLICY_NAME
        document = {
            "format": hook.POLICY_FORMAT,
            "version": hook.POLICY_VERSION,
            "documents": [to_json(d) for d in self.documents],
        }
        policy.write_text(json.dumps(document, sort_keys=True), encoding="utf-8")
        policy.chmod(0o600)
        env = {hook.POLICY: str(policy)}
        if self.enforce:
            session = self

            class Handler(socketserver.StreamRequestHandler):
                def handle(self) -> None:
                    self.wfile.write(session._answer(self.rfile.readline()))

            path = folder / SOCKET_NAME
            self._server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
            env[hook.SOCKET] = str(path)
        return env

    def stop(self, lines: str, cwd: Path) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        calls: dict[str, RecordedCall] = {}
        verdicts: list[dict[str, Any]] = []
        for line in lines.splitlines():
            try:
                raw = json.loads(line)
            except ValueError:
                continue  # `collect` reports unreadable lines
            if not isinstance(raw, dict):
                continue
            if "service" in raw and isinstance(raw.get("id"), str):
                try:
                    calls[raw["id"]] = _key(call_of(raw, cwd))
                except (KeyError, TypeError, ValueError):
                    continue
            elif "moto_for" in raw or "unenforced" in raw:
                verdicts.append(raw)
        for raw in verdicts:
            call = calls.get(str(raw.get("moto_for") or raw.get("unenforced")))
            if call is None:
                continue
            if "unenforced" in raw:
                self.unenforced[call] = str(raw.get("reason", ""))
                continue
            if "unchecked" in raw:
                self.moto_unchecked[call] = str(raw["unchecked"])
                continue
            check = MotoCheck(
                action=str(raw.get("action", "")),
                resource=str(raw.get("resource", "")),
                allowed=bool(raw.get("allowed")),
                action_allowed=raw.get("action_allowed") if isinstance(raw.get("action_allowed"), bool) else None,
                error=str(raw["error"]) if raw.get("error") else None,
            )
            found = self.moto.setdefault(call, [])
            if check not in found:
                found.append(check)

    def moto_checks(self, call: RecordedCall) -> tuple[MotoCheck, ...]:
        return tuple(sorted(self.moto.get(_key(call), ())))

    def moto_absent(self, call: RecordedCall) -> str | None:
        """Why moto, which answered the call, did not judge it (None: moto never saw it)."""
        return self.moto_unchecked.get(_key(call))

    def was_stopped(self, call: RecordedCall) -> bool:
        return _key(call) in self.stopped
