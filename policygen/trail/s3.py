"""A trail read from S3, where CloudTrail delivers it: the
``AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`` layout is walked by listing
delimiters (accounts, regions, then only the years, months and days the window may concern),
each listing level in parallel; each day's objects are fetched by a pool of threads and read one
object at a time through the local path's parser (`inflate` -> `scan_data`: the byte search for
the role, then JSON). Nothing is written to disk; memory holds one object per thread.

A prefix that does not show the layout (an export, a copy of the logs elsewhere) is listed whole
and its objects with a trail file's suffix are read. A prefix or object that cannot be read
(AccessDenied, a corrupt gzip) is an error naming its ``s3://`` URI; the rest is read.

Which accounts: with a role ARN, only the role's account folders (a call is logged in the
caller's account, data events of an organisation trail included); without one, every account.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from policygen.trail.aggregate import Aggregate, Principal, RecordError, overall, scan_data_many
from policygen.trail.read import MAX_FILE_BYTES, TRAIL_SUFFIXES, BadFile, Window, inflate
from policygen.trail.source import NO_CREDENTIALS, Progress, ReadsOnce

# Where a prefix stands in the layout: the deepest group that matched says what its children are.
_LEVEL = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?:(?P<account>\d{12})/(?:(?P<trail>CloudTrail)/"
    r"(?:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)/(?:(?P<y>\d{4})/(?:(?P<m>\d{2})/(?:(?P<d>\d{2})/)?)?)?)?)?)?$"
)
_ACCOUNT_OR_ORG = re.compile(r"^(?:\d{12}|o-[a-z0-9]+)$")
_BACKLOG = 20_000  # object keys listed ahead of the readers: bounds memory on huge days


@dataclass(frozen=True)
class S3Trail(ReadsOnce):
    bucket: str
    prefix: str = ""
    workers: int = 16
    limit: int = MAX_FILE_BYTES
    page_size: int = 1000  # keys per ListObjectsV2 page (S3's maximum)
    client: Any = field(default=None, compare=False)  # a boto3 S3 client; None: made from the environment

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def read_many(
        self, principals: Sequence[Principal], window: Window, progress: Progress | None = None, census: bool = False
    ) -> dict[Principal, Aggregate]:
        """One walk of the layout and one fetch of each object for all ``principals``: each
        object is read for the principals whose account folder it is in (all of them outside
        the layout), so each aggregate is the one `read` gives its principal."""
        readers = _Readers(list(dict.fromkeys(principals)))
        client = self.client if self.client is not None else _client(self.workers)
        prefix = self.prefix if not self.prefix or self.prefix.endswith("/") else self.prefix + "/"
        with ThreadPoolExecutor(self.workers) as pool:
            leaves = self._leaves(pool, client, prefix, readers, window)
            self._scan(pool, client, leaves, readers, window, census, progress)
        for total in readers.totals:
            total.errors.sort(key=lambda e: (e.path, e.record, e.message))
        return dict(zip(readers.principals, readers.totals, strict=True))

    # -- listing -------------------------------------------------------------------------------

    def _leaves(
        self, pool: ThreadPoolExecutor, client: Any, prefix: str, readers: _Readers, window: Window
    ) -> list[str]:
        """The prefixes whose objects are read: the day folders in the window (or the prefix itself
        when it shows no layout), found level by level, each level's listings in parallel."""
        accounts = readers.accounts()
        frontier, leaves = [prefix], []
        while frontier:
            steps = list(pool.map(lambda p: self._children(client, p, accounts, window), frontier))
            frontier = []
            for children, leaf, errors in steps:
                frontier += children
                leaves += leaf
                for error in errors:
                    readers.error(error)
        return sorted(leaves)

    def _children(
        self, client: Any, prefix: str, accounts: frozenset[str] | None, window: Window
    ) -> tuple[list[str], list[str], list[RecordError]]:
        """One step down the layout from ``prefix``: (prefixes to walk, prefixes to read, errors)."""
        match = _LEVEL.search(prefix)
        if match is None:
            # no layout (yet): descend into an AWSLogs/ folder if there is one, else read it all
            try:
                below = self._folders(client, prefix)
            except _Failed as exc:
                return [], [], [exc.error]
            logs = [p for p in below if p.endswith("AWSLogs/")]
            return (logs, [], []) if logs else ([], [prefix], [])
        if match["d"]:
            return [], [prefix], []
        if match["account"] and not match["trail"]:
            return [prefix + "CloudTrail/"], [], []
        try:
            below = self._folders(client, prefix)
        except _Failed as exc:
            return [], [], [exc.error]
        names = [(p, p[len(prefix) :].rstrip("/")) for p in below]
        if not match["trail"]:  # AWSLogs/ or AWSLogs/o-org/: accounts (and organisations)
            keep = [
                p
                for p, n in names
                if _ACCOUNT_OR_ORG.match(n) and (accounts is None or n.startswith("o-") or n in accounts)
            ]
        elif not match["region"]:
            keep = [p for p, n in names if not window.regions or n in window.regions]
        elif not match["y"]:
            keep = [p for p, n in names if n.isdigit() and _overlaps(window, int(n))]
        elif not match["m"]:
            keep = [p for p, n in names if n.isdigit() and _overlaps(window, int(match["y"]), int(n))]
        else:
            y, m = int(match["y"]), int(match["m"])
            keep = [p for p, n in names if n.isdigit() and _overlaps(window, y, m, int(n))]
        return keep, [], []

    def _folders(self, client: Any, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self._pages(client, prefix, delimiter=True):
            out += [str(p["Prefix"]) for p in page.get("CommonPrefixes", ())]
        return out

    def _objects(self, client: Any, prefix: str) -> tuple[list[str], int, list[RecordError]]:
        """The trail files under ``prefix`` (recursively), how many other objects, errors."""
        keys: list[str] = []
        others = 0
        try:
            for page in self._pages(client, prefix, delimiter=False):
                for item in page.get("Contents", ()):
                    key = str(item["Key"])
                    if key.endswith(TRAIL_SUFFIXES):
                        keys.append(key)
                    else:
                        others += 1
        except _Failed as exc:
            return keys, others, [exc.error]
        return keys, others, []

    def _pages(self, client: Any, prefix: str, *, delimiter: bool) -> Iterator[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": prefix,
            "PaginationConfig": {"PageSize": self.page_size},
        }
        if delimiter:
            args["Delimiter"] = "/"
        try:
            yield from client.get_paginator("list_objects_v2").paginate(**args)
        except (ClientError, BotoCoreError) as exc:
            raise _Failed(
                RecordError(self.uri(prefix), 0, _explain(exc, "s3:ListBucket on the bucket"))
            ) from None

    # -- reading -------------------------------------------------------------------------------

    def _scan(
        self,
        pool: ThreadPoolExecutor,
        client: Any,
        leaves: list[str],
        readers: _Readers,
        window: Window,
        census: bool,
        progress: Progress | None,
    ) -> None:
        """List the leaves a few at a time and read their objects as they come, with a bounded
        number of listings, keys and reads in flight."""
        todo = deque(leaves)
        keys: deque[str] = deque()
        listing: dict[Future[Any], str] = {}
        reading: dict[Future[list[Aggregate]], list[int]] = {}
        while todo or keys or listing or reading:
            while todo and len(listing) < 4 and len(keys) < _BACKLOG:
                leaf = todo.popleft()
                listing[pool.submit(self._objects, client, leaf)] = leaf
            while keys and len(reading) < 2 * self.workers:
                key = keys.popleft()
                which = readers.admitting(key)
                chosen = [readers.principals[i] for i in which]
                reading[pool.submit(self._scan_object, client, key, chosen, window, census)] = which
            done, _ = wait(set(listing) | set(reading), return_when=FIRST_COMPLETED)
            for future in done:
                if future in listing:
                    leaf = listing.pop(future)
                    found, others, errors = future.result()
                    keys.extend(k for k in found if readers.admitting(k))
                    for i in readers.admitting(leaf):
                        total = readers.totals[i]
                        total.files_planned += len(found)
                        total.files_skipped_by_layout += others
                        total.errors += errors
                else:
                    which = reading.pop(future)
                    for i, part in zip(which, future.result(), strict=True):
                        readers.totals[i].merge(part)
                    if progress is not None:
                        progress(overall(readers.totals))

    def _scan_object(
        self, client: Any, key: str, principals: list[Principal], window: Window, census: bool
    ) -> list[Aggregate]:
        from botocore.exceptions import BotoCoreError, ClientError

        uri = self.uri(key)
        try:
            response = client.get_object(Bucket=self.bucket, Key=key)
            size = int(response.get("ContentLength") or 0)
            if size > self.limit:
                response["Body"].close()
                raise BadFile(f"{size} bytes: too large to be a CloudTrail file (limit {self.limit})")
            raw = response["Body"].read()
            data = inflate(raw, self.limit)
        except BadFile as exc:
            return [Aggregate(files=1, errors=[RecordError(uri, exc.record, exc.message)]) for _ in principals]
        except (ClientError, BotoCoreError) as exc:
            message = _explain(exc, "s3:GetObject on the object (and kms:Decrypt if the trail is SSE-KMS)")
            return [Aggregate(files=1, errors=[RecordError(uri, 0, message)]) for _ in principals]
        return scan_data_many(uri, data, principals, window, census)


@dataclass
class _Readers:
    """The principals one walk reads for, each with its total, and which of them an object or a
    prefix concerns: a principal with a role ARN reads only its account's folders (as `read` for
    it alone would), one without reads them all."""

    principals: list[Principal]
    totals: list[Aggregate] = field(default_factory=list)
    account_of: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.totals = [Aggregate() for _ in self.principals]
        self.account_of = [_account(p) for p in self.principals]

    def accounts(self) -> frozenset[str] | None:
        """The account folders the walk enters; None: every one."""
        if any(a is None for a in self.account_of):
            return None
        return frozenset(a for a in self.account_of if a is not None)

    def admitting(self, key: str) -> list[int]:
        """The principals (by index) whose walk reaches ``key`` (an object key, a prefix or an
        s3:// URI)."""
        found = _ACCOUNT_IN.search(key)
        folder = found["account"] if found else None
        return [i for i, a in enumerate(self.account_of) if a is None or folder is None or a == folder]

    def error(self, error: RecordError) -> None:
        for i in self.admitting(error.path):
            self.totals[i].errors.append(error)


_ACCOUNT_IN = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?(?P<account>\d{12})/")


class _Failed(Exception):
    def __init__(self, error: RecordError) -> None:
        super().__init__(error.message)
        self.error = error


def _account(principal: Principal) -> str | None:
    parts = (principal.role_arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _overlaps(window: Window, year: int, month: int = 0, day: int = 0) -> bool:
    """Whether a year (month, day) folder may hold events of the window, a day of slack each side
    as for local day folders (CloudTrail files a record by its delivery, minutes after the event)."""
    try:
        if day:
            first = last = date(year, month, day)
        elif month:
            first = date(year, month, 1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return False  # not a date folder
    if window.since is not None and last < window.since.date() - timedelta(days=1):
        return False
    return not (window.until is not None and first > window.until.date() + timedelta(days=1))


def _explain(exc: Exception, needs: str) -> str:
    """What went wrong, in a sentence that says what to do."""
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return NO_CREDENTIALS
    if not isinstance(exc, ClientError):
        return f"{exc.__class__.__name__}: {exc}"
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in ("AccessDenied", "403", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return f"{code}: policygen needs {needs} ({message})"
    if code == "NoSuchBucket":
        return "no such bucket (check the name in --cloudtrail s3://...)"
    if code in ("NoSuchKey", "404"):
        return "the object is gone (deleted while the trail was read?)"
    return f"{code}: {message}"


def _client(workers: int) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=workers + 4, retries={"mode": "standard", "max_attempts": 5})
    return boto3.session.Session().client("s3", config=config)
