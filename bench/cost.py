"""Monthly AWS cost of one deployment at list prices, for 0, 100 and 10,000 reports a month.

    .venv/bin/python bench/cost.py

Reads infra/template.yaml for what it fixes (the function's memory and architecture, the
log group's retention, the upload part size, the retention of stored data), builds the site
once into a temporary folder to count what one page view downloads, and prints a table with
one row per billed item (docs/cost.md shows it). Everything else is an assumption in
``Assumptions``; every price is in ``PRICES`` with the AWS pricing page it comes from. The
prices are list prices as last known to the authors, not fetched: re-check them for the
region you deploy to before budgeting (docs/cost.md says how).
"""

from __future__ import annotations

import gzip
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.keyring import KeyEntry, Keyring, dump  # noqa: E402
from tests.support.site import build_site  # noqa: E402

TEMPLATE = ROOT / "infra" / "template.yaml"
GB = 1024**3
MIB = 1024**2
SCENARIOS = (0, 100, 10_000)

# USD. (price, unit, source). Reference prices: US East (N. Virginia) for Lambda, API
# Gateway and CloudWatch; Asia Pacific (Singapore) for S3 and data transfer; CloudFront's
# "Hong Kong, Indonesia, Philippines, Singapore, South Korea, Taiwan & Thailand" edge
# region for viewers in Indonesia. Jakarta's own rates may be higher: re-check.
PRICES: dict[str, tuple[float, str, str]] = {
    "lambda_request": (0.20 / 1e6, "request", "AWS Lambda pricing"),
    "lambda_arm64": (0.0000133334, "GB-second", "AWS Lambda pricing (Arm)"),
    "lambda_x86_64": (0.0000166667, "GB-second", "AWS Lambda pricing (x86)"),
    "http_api": (1.00 / 1e6, "request", "Amazon API Gateway pricing (HTTP APIs)"),
    "cf_request": (0.0120 / 1e4, "HTTPS request", "Amazon CloudFront pricing"),
    "cf_out": (0.120, "GB to viewers", "Amazon CloudFront pricing"),
    "cf_to_origin": (0.060, "GB to origin", "Amazon CloudFront pricing"),
    "cf_function": (0.10 / 1e6, "invocation", "Amazon CloudFront pricing (Functions)"),
    "s3_storage": (0.025, "GB-month", "Amazon S3 pricing (Standard)"),
    "s3_write": (0.005 / 1000, "PUT/COPY/POST/LIST", "Amazon S3 pricing"),
    "s3_read": (0.0004 / 1000, "GET/SELECT", "Amazon S3 pricing"),
    "s3_out": (0.12, "GB to the internet", "Amazon EC2/S3 data transfer pricing"),
    "sns_publish": (0.50 / 1e6, "publish", "Amazon SNS pricing"),
    "sns_email": (2.00 / 1e5, "e-mail", "Amazon SNS pricing"),
    "logs_ingest": (0.50, "GB ingested", "Amazon CloudWatch pricing (Logs)"),
    "logs_store": (0.03, "GB-month", "Amazon CloudWatch pricing (Logs)"),
}
# The always-free tier, per account and month (12-month offers such as S3's 5 GB and API
# Gateway's first million requests are left out: they end).
FREE: dict[str, float] = {
    "lambda_request": 1_000_000,
    "lambda_gb_s": 400_000,
    "cf_request": 10_000_000,
    "cf_out_gb": 1024,
    "cf_function": 2_000_000,
    "s3_out_gb": 100,
    "sns_publish": 1_000_000,
    "sns_email": 1000,
    "logs_gb": 5,
}


@dataclass(frozen=True)
class Assumptions:
    """What one report brings with it. Counts of storage calls per API call are the ones
    tests/infra/test_template.py records when the API runs on moto."""

    views_base: int = 300  # page views a month by people who never report
    views_per_report: int = 30  # the reporter's own (10) and others who read and leave (20)
    report_bytes: int = 12 * 1024  # stored report: an 8 KiB padded envelope, base64, JSON
    verifier_bytes: int = 400
    followups: int = 2  # by the reporter
    replies: int = 2  # by inspectors (written with their own credentials)
    message_bytes: int = 6 * 1024  # a stored follow-up or reply
    mailbox_reads: int = 6  # the reporter checks the status page over the weeks
    files: int = 1  # evidence files per report
    file_bytes: int = 25 * MIB  # average: photos, documents, some short videos
    inspector_syncs: int = 60  # `wbs inbox sync` runs a month (two a working day, and more)
    invocation_seconds: float = 0.3  # billed per API call, cold starts averaged in
    log_bytes_per_call: int = 700  # our one line plus Lambda's START/END/REPORT
    subscribers: int = 1  # e-mail addresses on the topic
    months_kept: int = 12  # the month costed holds a year of reports (RetentionDays 0)


def template() -> dict[str, Any]:
    data, problems = decode(str(TEMPLATE))
    if problems:
        raise SystemExit(f"{TEMPLATE}: {problems[0]}")
    return dict(data)


def from_template() -> dict[str, Any]:
    """The numbers the template fixes."""
    t = template()
    function = t["Resources"]["Function"]["Properties"]
    (group,) = [r for r in t["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"]
    return {
        "memory_gb": function["MemorySize"] / 1024,
        "architecture": function["Architectures"][0],
        "log_retention_days": group["Properties"]["RetentionInDays"],
        "part_bytes": t["Parameters"]["UploadPartBytes"]["Default"],
        "retention_days": t["Parameters"]["RetentionDays"]["Default"],
    }


def page_view() -> tuple[int, int]:
    """(requests, bytes) of a first visit: one page and every asset, gzip-compressed as
    CloudFront compresses them; an upper bound, since later visits revalidate."""
    with tempfile.TemporaryDirectory() as tmp:
        keyring = Path(tmp) / "keyring.json"
        dump(Keyring((KeyEntry.for_public_key(os.urandom(32), "cost", "2026-01-01"),)), keyring)
        out = build_site(keyring, Path(tmp) / "site")
        files = [out / "index.html", *sorted((out / "assets").rglob("*.*"))]
        return len(files), sum(len(gzip.compress(f.read_bytes())) for f in files)


def month(reports: int, a: Assumptions, fixed: dict[str, Any], view: tuple[int, int]) -> dict:
    """Billed quantities for one month: name -> (quantity, free allowance, price key)."""
    parts = math.ceil(a.file_bytes / fixed["part_bytes"]) * a.files
    files = reports * a.files
    api_calls = reports * (
        1 + a.mailbox_reads + a.followups + a.files + a.files  # report, reads, posts, grant, done
    )
    views = a.views_base + a.views_per_report * reports
    page_requests = views * view[0]
    # S3 requests per API call (verifier, listings, messages, records), as recorded
    writes = reports * (
        2  # report: verifier and report, create-only
        + a.mailbox_reads * 2  # two listings: the mailbox and the upload records
        + a.followups * 2  # a listing and the message
        + a.files * 3  # grant: a listing, the upload, the record
        + a.files * 3  # completion: a listing, ListParts, CompleteMultipartUpload
        + parts  # every part, through CloudFront
        + a.replies  # inspectors' replies
    )
    reads = reports * (
        a.mailbox_reads * (1 + a.followups + a.replies + a.files)  # verifier, messages, records
        + a.followups  # the verifier
        + a.files * 1  # grant: the verifier
        + a.files * 2  # completion: the verifier and the record
        + 1  # inspectors fetch the report
        + a.followups  # and each follow-up
        + a.files  # and export each file
    )
    listings = a.inspector_syncs * 2 * max(1, math.ceil(reports * a.months_kept / 1000))
    kept = a.months_kept if fixed["retention_days"] == 0 else fixed["retention_days"] / 30
    case_bytes = (
        a.report_bytes
        + a.verifier_bytes
        + (a.followups + a.replies) * a.message_bytes
        + a.files * a.file_bytes * 1.017  # attachment framing, 1 KiB chunks at worst
        + a.files * 300  # the grant record
    )
    stored = reports * case_bytes * kept / GB
    uploaded = files * a.file_bytes * 1.017 / GB
    log_gb = (api_calls * a.log_bytes_per_call) / GB
    gb_s = api_calls * a.invocation_seconds * fixed["memory_gb"]
    return {
        "Lambda requests": (api_calls, FREE["lambda_request"], "lambda_request"),
        "Lambda compute (GB-s)": (gb_s, FREE["lambda_gb_s"], "lambda_" + fixed["architecture"]),
        "HTTP API requests": (api_calls, 0, "http_api"),
        "CloudFront requests": (
            page_requests + api_calls + reports * parts,
            FREE["cf_request"],
            "cf_request",
        ),
        "CloudFront functions": (page_requests, FREE["cf_function"], "cf_function"),
        "CloudFront to viewers (GB)": (views * view[1] / GB, FREE["cf_out_gb"], "cf_out"),
        "CloudFront to origin (GB)": (uploaded, 0, "cf_to_origin"),
        "S3 storage (GB-month)": (stored, 0, "s3_storage"),
        "S3 PUT/POST/LIST": (writes + listings, 0, "s3_write"),
        "S3 GET": (reads, 0, "s3_read"),
        "S3 to inspectors (GB)": (uploaded, FREE["s3_out_gb"], "s3_out"),
        "SNS publishes": (reports, FREE["sns_publish"], "sns_publish"),
        "SNS e-mails": (reports * a.subscribers, FREE["sns_email"], "sns_email"),
        "CloudWatch Logs ingested (GB)": (log_gb, FREE["logs_gb"], "logs_ingest"),
        "CloudWatch Logs stored (GB-month)": (
            log_gb * min(fixed["log_retention_days"], 30) / 30,
            0,
            "logs_store",
        ),
    }


def main() -> None:
    a = Assumptions()
    fixed = from_template()
    view = page_view()
    rows = {n: month(n, a, fixed, view) for n in SCENARIOS}
    print(
        f"Function: {fixed['memory_gb'] * 1024:.0f} MB {fixed['architecture']}; logs kept "
        f"{fixed['log_retention_days']} days; parts of {fixed['part_bytes'] // MIB} MiB; "
        f"a page view: {view[0]} requests, {view[1] / 1024:.0f} KiB"
    )
    header = f"{'USD a month, reports a month:':<34}" + "".join(f"{n:>16,}" for n in SCENARIOS)
    print(header)
    totals = dict.fromkeys(SCENARIOS, 0.0)
    totals_free = dict.fromkeys(SCENARIOS, 0.0)
    for item in rows[SCENARIOS[0]]:
        cells = []
        for n in SCENARIOS:
            quantity, free, key = rows[n][item]
            price = PRICES[key][0]
            totals[n] += quantity * price
            totals_free[n] += max(0.0, quantity - free) * price
            cells.append(f"{quantity * price:>16.2f}")
        print(f"{item:<34}" + "".join(cells))
    print(f"{'total, no free tier':<34}" + "".join(f"{totals[n]:>16.2f}" for n in SCENARIOS))
    print(
        f"{'total, after always-free tiers':<34}"
        + "".join(f"{totals_free[n]:>16.2f}" for n in SCENARIOS)
    )


if __name__ == "__main__":
    main()
