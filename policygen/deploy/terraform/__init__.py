"""Terraform projects (``*.tf``, read with python-hcl2) -> `FunctionSpec`s.

Functions: ``aws_lambda_function`` resources (each ``count``/``for_each`` instance on its own)
and the public ``terraform-aws-modules/lambda/aws`` module, in the root module and in local
modules however nested. For each: handler, code (a folder, one file, inline ``source`` blocks,
a committed zip, or an S3 object this configuration uploads), environment, tracing, VPC,
dead-letter target, event source mappings, KMS key, and the policies its role has today.

    hcl        .tf files -> blocks; strings -> expressions
    values     expressions -> values, in one module instance
    modules    module calls: local modules followed, the registry Lambda module known
    registry   the registry Lambda module's inputs -> a function
    code       where a function's code is
    function   one function -> `FunctionSpec`; declared role policies
    reader     the walk over module instances
"""

from policygen.deploy.terraform.reader import has_terraform, read, stated_region

__all__ = ["has_terraform", "read", "stated_region"]
