"""Clients that act as another principal, for the resolver.

A session or client made with ``aws_access_key_id=`` (directly, or in a ``**mapping``) does not
use the function's role: with the credentials ``sts.assume_role(RoleArn=...)`` returned, it acts
as that role; with keys from anywhere else (a secret, the environment), as whoever owns them.
Its calls are recorded with that principal, so the pipeline can keep them out of the function's
policy and give the policy the other principal needs instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from policygen.model import Text
from policygen.resolve.values import (
    OTHER_CREDENTIALS,
    BatchWriterV,
    ClientV,
    CollectionV,
    CredentialsV,
    DictV,
    Other,
    PaginatorV,
    ResourceV,
    SdkMethod,
    SessionV,
    Value,
    Values,
    WaiterV,
    text_of,
    texts,
)

KEY_ARGUMENTS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
ASSUMING = {"assume_role", "assume_role_with_web_identity", "assume_role_with_saml"}


def principals(kwargs: Mapping[str | None, Values], inherited: str | None = None) -> tuple[str | None, ...]:
    """Whose credentials a client, resource or session made with these arguments uses
    (None: the function's own role). Sorted, so every run makes them in the same order."""
    given: list[Value] = [v for name in KEY_ARGUMENTS for v in kwargs.get(name, ())]
    for mapping in kwargs.get(None, ()):
        if isinstance(mapping, DictV):
            given.extend(v for key, values in mapping.items if text_of(key).known in KEY_ARGUMENTS for v in values)
    if not given:
        return (inherited,)
    found: set[str | None] = set()
    for value in given:
        if isinstance(value, CredentialsV):
            found.add(value.principal)
        elif isinstance(value, Other) and value.value is None:
            found.add(inherited)  # ``aws_access_key_id=None``: boto3's default chain
        else:
            found.add(OTHER_CREDENTIALS)
    return tuple(sorted(found, key=lambda p: p or ""))


def assumed(kwargs: Mapping[str, Values]) -> Values:
    """The credentials ``sts.assume_role(RoleArn=...)`` returns: one per role it may assume."""
    roles = kwargs.get("RoleArn")
    return frozenset(CredentialsV(_label(t)) for t in texts(roles)) if roles else frozenset(
        (CredentialsV(OTHER_CREDENTIALS),)
    )


def _label(role: Text) -> str:
    if not any(isinstance(part, str) and part for part in role.parts):
        return OTHER_CREDENTIALS
    return role.pattern()


def principal_of(value: Value) -> str | None:
    """The principal an SDK object's calls are made as."""
    if isinstance(value, SessionV | ClientV | ResourceV):
        return value.principal
    if isinstance(value, PaginatorV | WaiterV):
        return value.client.principal
    if isinstance(value, CollectionV):
        return value.owner.principal
    if isinstance(value, BatchWriterV):
        return value.table.principal
    if isinstance(value, SdkMethod):
        return principal_of(value.receiver)
    return None
