"""CloudTrail access history: read a trail, aggregate one principal's calls, map them to IAM
permissions. It reads and aggregates; it knows nothing of the pipeline.

    open_trail(spec).read(principal, window) -> Aggregate -> permissions(aggregate)
    open_trail(spec).read_many(principals, window) -> {principal: Aggregate}   (one read for all)

Sources (`policygen.trail.source`): a local folder (recursive; delivered ``*.json.gz``/``*.json``
files in the ``AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`` layout, whose day
and region folders outside the window are skipped unopened; JSON lists, JSON Lines, CloudTrail
Lake/Athena CSV and JSON exports), the same layout in S3 (`policygen.trail.s3`), one aggregating
Athena query over the CloudTrail table (`policygen.trail.athena`), and the LookupEvents API's
management events (`policygen.trail.lookup`).
"""

from policygen.trail.aggregate import Aggregate, Principal, RecordError, scan, scan_file
from policygen.trail.permissions import NotMapped, Observed, TrailPermissions, permissions
from policygen.trail.read import Window, files_in, parse_bound
from policygen.trail.source import LocalTrail, Trail, open_trail

__all__ = [
    "Aggregate",
    "LocalTrail",
    "NotMapped",
    "Observed",
    "Principal",
    "RecordError",
    "Trail",
    "TrailPermissions",
    "Window",
    "files_in",
    "open_trail",
    "parse_bound",
    "permissions",
    "scan",
    "scan_file",
]
