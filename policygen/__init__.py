"""policygen: least-privilege IAM policies for Python AWS Lambda functions.

The library API (the CLI is a thin layer over it)::

    import policygen
    result = policygen.generate("src/orders", policygen.Options(target=policygen.Target("aws", "us-east-1", "123456789012")))
    project = policygen.generate_project("infra", policygen.Options(deploy=policygen.DeployOptions(stage="prod")))

`generate` analyses one function's code and returns a `Result`; `generate_project` reads the
deployment files (SAM/CloudFormation, Serverless, Terraform) and returns a `ProjectResult` with
one `Result` per function, or None when there are none. Both raise `PolicygenError` subclasses
for input errors and never print or exit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from policygen.errors import PolicygenError
    from policygen.model import Result, Target
    from policygen.options import DeployOptions, Options
    from policygen.pipeline import generate
    from policygen.project import ProjectResult, generate_project

# Imported on first use: `import policygen.model` (as the extract workers do) stays light.
_EXPORTS = {
    "DeployOptions": "policygen.options",
    "Options": "policygen.options",
    "PolicygenError": "policygen.errors",
    "ProjectResult": "policygen.project",
    "Result": "policygen.model",
    "Target": "policygen.model",
    "generate": "policygen.pipeline",
    "generate_project": "policygen.project",
}

__all__ = [
    "DeployOptions",
    "Options",
    "PolicygenError",
    "ProjectResult",
    "Result",
    "Target",
    "__version__",
    "generate",
    "generate_project",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'policygen' has no attribute {name!r}")
