"""What a run of `policygen.generate` / `policygen.generate_project` is asked to do, as one typed
value: the CLI builds it from its flags, a library user builds it directly. Nothing here reads
files or the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from policygen.evidence import EvidenceSource
from policygen.fit import PolicyKind
from policygen.model import Only, Target


@dataclass(frozen=True)
class DeployOptions:
    """How to read the deployment files (what `sam deploy`, `sls deploy`, `terraform apply` get)."""

    stack_name: str | None = None
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    stage: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)  # Terraform -var / --var-file
    # Whether the target's region was given (--region): it then wins over a region the project
    # states (provider.region, samconfig, the aws provider); None: given when not "*".
    region_given: bool | None = None


@dataclass(frozen=True)
class Options:
    target: Target = field(default_factory=Target)
    handler: str | None = None  # "module.function"; None: the one handler found (or the template's)
    environment: Mapping[str, str] = field(default_factory=dict)  # over the deployment file's
    kms_keys: tuple[str, ...] = ()  # customer-managed keys the function's resources use
    include_unreachable: bool = False  # grant calls the handler cannot reach
    strict: bool = False  # StrictModeError when anything is unresolved or a file is unreadable
    cache_dir: Path | None = None  # the extract stage's parse cache; None: no cache
    jobs: int | None = None  # parallel parse workers; None: as many as the machine has
    policy_kind: PolicyKind = PolicyKind.INLINE  # which IAM size limit the documents are fitted to
    # Evidence beyond the code and the deployment file (CloudTrail, recorded calls), asked about
    # every function after those two, in this order.
    sources: tuple[EvidenceSource, ...] = ()
    # With access history among the sources: the union (both), or only what it observed / only
    # what the code needs (what is left out is reported, not dropped).
    only: Only = Only.BOTH
    # Projects (`generate_project`): which function, and how to read the deployment files.
    function: str | None = None
    deploy: DeployOptions = field(default_factory=DeployOptions)
