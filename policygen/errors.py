"""One hierarchy of errors. Every message names the file (and line, where there is one) and says
what to do. Library code raises these; only the CLI turns them into output and exit codes."""

from __future__ import annotations


class PolicygenError(Exception):
    """Base of every error policygen reports to its user."""


class UsageError(PolicygenError):
    """The command's arguments are wrong (a missing directory, an unknown handler...)."""


class SourceError(PolicygenError):
    """One source file could not be analysed. The run goes on without it."""

    def __init__(self, path: str, line: int, message: str, column: int = 0) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}" if column else f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message
        self.column = column  # 1-based; 0 when not known


class ConfigError(PolicygenError):
    """A deployment value (``--env``, ``--env-file``) is malformed."""


class DeploymentError(PolicygenError):
    """A deployment file (template, serverless.yml, Terraform) is invalid or points nowhere."""


class MappingError(PolicygenError):
    """The mapping data shipped with policygen is missing or inconsistent (a packaging bug)."""


class StrictModeError(PolicygenError):
    """``--strict`` was given and something could not be pinned down."""


class PolicyError(PolicygenError):
    """A policy document (a JSON file, a template's statements, a managed policy) is invalid.

    ``line`` and ``column`` are 0 when the document came from somewhere without positions (a
    template value already parsed); the message then names the statement index instead."""

    def __init__(self, source: str, message: str, line: int = 0, column: int = 0) -> None:
        where = (f"{source}:{line}:{column}" if column else f"{source}:{line}") if line else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.message = message
