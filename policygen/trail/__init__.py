"""CloudTrail access history: read trail files, aggregate one principal's calls, map them to
IAM permissions. It reads and aggregates; it knows nothing of the pipeline.

    files_in(root, window) -> scan(paths, principal, window) -> Aggregate -> permissions(aggregate)

Sources implemented: a local folder (recursive; delivered ``*.json.gz``/``*.json`` files in the
``AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`` layout, whose day and region
folders outside the window are skipped unopened; JSON lists, JSON Lines, CloudTrail Lake/Athena
CSV and JSON exports).
"""

from policygen.trail.aggregate import Aggregate, Principal, RecordError, scan, scan_file
from policygen.trail.permissions import NotMapped, Observed, TrailPermissions, permissions
from policygen.trail.read import Window, files_in, parse_bound

__all__ = [
    "Aggregate",
    "NotMapped",
    "Observed",
    "Principal",
    "RecordError",
    "TrailPermissions",
    "Window",
    "files_in",
    "parse_bound",
    "permissions",
    "scan",
    "scan_file",
]
