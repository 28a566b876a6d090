"""The admin's step when a case is shared with another desk: add that desk to the
``wbs-desks`` tag of each object the case already has (docs/aws.md, "Inspectors' access, per
desk").

A case grant (docs/spec/desks-v2.md §5) gives a desk the case's keys; its members' policy
fetches an object of the case only when the object's tag names their desk. Objects stored
after the share are tagged with it by whoever creates them; earlier ones are not, and
neither the function nor an inspector may change a tag once it is given. The admin's
credentials may::

    .venv/bin/python -m wbs.deploy.share --bucket <DataBucket> <ID> <desk>

Only a desk is ever added: the desks a tag already names stay. The bucket is versioned, and
a tag belongs to an object's current version; an old version keeps its own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError

from functions.envelope import ID_RE
from functions.errors import WbsError
from functions.keyring import DESK_ID_RE
from functions.storage import layout
from functions.storage.tags import TAG, tag_desks, tag_value
from wbs import console

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class Opened:
    """What ``open_case`` did: objects whose tag it extended, and those that named the desk."""

    tagged: tuple[str, ...]
    already: int


def case_keys(s3: S3Client, bucket: str, case: str) -> list[str]:
    """Every stored object of the case that a desk's member may fetch: its report, mailbox,
    evidence, notes and case grants (not its upload grants: uploads/ is no inspector's)."""
    report = layout.report(case)
    keys = [key for key in _listed(s3, bucket, report) if key == report]
    for prefix in (layout.mailbox(case), layout.attachments(case), layout.notes(case)):
        keys += _listed(s3, bucket, prefix)
    return keys + _listed(s3, bucket, f"shares/{case}/")


def _listed(s3: S3Client, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def open_case(s3: S3Client, bucket: str, case: str, desk: str) -> Opened:
    """Add ``desk`` to the ``wbs-desks`` tag of every object of ``case``."""
    if not ID_RE.fullmatch(case):
        raise WbsError(f"{case!r} is not a registration number", hint="wbs inbox list shows them")
    if not DESK_ID_RE.fullmatch(desk):
        raise WbsError(f"{desk!r} is not a desk id", hint="the config's [[desks]] ids")
    keys = case_keys(s3, bucket, case)
    if not keys:
        raise WbsError(f"no object of case {case} in {bucket}", hint="check the id and the bucket")
    tagged: list[str] = []
    already = 0
    for key in keys:
        found = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        tags = {t["Key"]: t["Value"] for t in found}
        desks = tag_desks(tags.get(TAG, ""))
        if desk in desks:
            already += 1
            continue
        try:
            tags[TAG] = tag_value([*desks, desk])
        except ValueError as exc:
            raise WbsError(f"{key}: {exc}", hint="docs/aws.md, the wbs-desks tag") from None
        tag_set = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": tag_set})  # type: ignore[typeddict-item]
        tagged.append(key)
    return Opened(tuple(tagged), already)


@click.command()
@click.option("--bucket", required=True, help="The stack's DataBucket (wbs deploy prints it).")
@click.option("--region", default=None, help="Its region [default: the AWS configuration's]")
@click.argument("case")
@click.argument("desk")
def main(bucket: str, region: str | None, case: str, desk: str) -> None:
    """Let DESK's members fetch what case CASE already stored (after a share)."""
    try:
        s3 = boto3.session.Session(region_name=region).client("s3")
        opened = open_case(s3, bucket, case, desk)
    except (ClientError, BotoCoreError) as exc:
        needs = "s3:ListBucket, s3:GetObjectTagging and s3:PutObjectTagging"
        console.error(f"AWS: {exc}", f"the admin's credentials need {needs} on the data bucket")
        sys.exit(1)
    except WbsError as exc:
        console.error(str(exc), exc.hint)
        sys.exit(1)
    click.echo(
        f"Case {case}: {len(opened.tagged)} objects now name {desk} in their {TAG} tag,"
        f" {opened.already} named it already."
    )


if __name__ == "__main__":
    main()
