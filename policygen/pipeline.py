"""The pipeline: orders the stages for one function, and nothing else.

    evidence (code, deployment, then `Options.sources`) -> merge -> synthesize -> fit -> Result

`generate` analyses one function's code folder (or `CodeBundle`); `analyse` runs the stages for
any `Subject` (`policygen.project` builds one per function a deployment file declares).
Rendering is left to the caller (`policygen.render`). Nothing here prints or exits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from policygen.discover import normalize_handler
from policygen.errors import StrictModeError
from policygen.evidence import Findings, ReadsAhead, Subject, texts
from policygen.evidence.cloudtrail import AccessHistory, review
from policygen.evidence.code import CodeSource
from policygen.evidence.deployment import DeploymentSource
from policygen.fit import fit
from policygen.model import CodeBundle, History, Result
from policygen.options import Options
from policygen.synthesize import merge_permissions, synthesize


def generate(path: str | Path | CodeBundle, options: Options | None = None) -> Result:
    """Analyse the Lambda code under ``path`` and synthesize its least-privilege policy."""
    options = options or Options()
    code = path if isinstance(path, CodeBundle) else Path(path)
    subject = Subject(
        name=code.label if isinstance(code, CodeBundle) else code.resolve().name,
        code=code,
        handler=normalize_handler(options.handler) if options.handler else None,
        environment=texts(options.environment),
        target=options.target,
        kms_keys=options.kms_keys,
    )
    return analyse(subject, options)


def read_ahead(subjects: Sequence[Subject], options: Options) -> None:
    """Tell the sources that read one input for all of a project's functions (`ReadsAhead`)
    which functions they will be asked about, before the first is analysed."""
    for source in options.sources:
        if isinstance(source, ReadsAhead):
            source.read_ahead(subjects)


def analyse(subject: Subject, options: Options) -> Result:
    """Every evidence source's findings for ``subject``, merged and synthesized into a policy.
    Raises `StrictModeError` under ``options.strict`` when anything is unresolved or unreadable."""
    code = CodeSource(options.include_unreachable, options.cache_dir, options.jobs).analyse(subject)
    others = [DeploymentSource().collect(subject), *(source.collect(subject) for source in options.sources)]
    found = Findings.merge([code.findings, *others])
    permissions = merge_permissions(found.permissions)
    widenings = tuple(sorted(set(found.widenings)))
    unresolved = found.unresolved
    history: tuple[History, ...] = ()
    trail = next((s for s in options.sources if isinstance(s, AccessHistory)), None)
    if trail is not None:  # how the access history bears on each permission; --only narrows
        permissions, history, left_out = review(subject, permissions, widenings, unresolved, trail, options.only)
        granted = {(p.action, p.resource) for p in permissions}
        widenings = tuple(w for w in widenings if (w.action, w.resource) in granted)
        unresolved += left_out
    policy = synthesize(permissions)
    fitted = fit(policy, options.policy_kind)
    result = Result(
        code.analysis,
        policy,
        permissions,
        widenings,
        tuple(sorted(set(unresolved), key=lambda u: (u.location, u.reason, u.detail))),
        code.unreachable,
        subject.target,
        tuple(sorted(set(found.errors), key=lambda e: (e.path, e.line, e.message))),
        fitted.documents,
        fitted.notes,
        code.other_principals,
        history,
    )
    if options.sources:
        from policygen.record.source import match

        matches = match(result.unresolved, result.widenings, result.permissions)
        result = replace(result, recorded_matches=matches)
    if options.strict and (result.unresolved or result.errors):
        raise StrictModeError(_strict_message(result))
    return result


def _strict_message(result: Result) -> str:
    lines = [f"--strict: {len(result.unresolved)} unresolved item(s), {len(result.errors)} file error(s)"]
    lines.extend(f"  {u.location}: {u.reason}" for u in result.unresolved[:20])
    lines.extend(f"  {e}" for e in result.errors[:20])
    return "\n".join(lines)
