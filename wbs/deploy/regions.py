"""Is the stack's region open to this account? Jakarta (ap-southeast-3), like every region
opened after March 2019, is an opt-in region: until the account enables it, every call
there fails with an error that names no cause (an unrecognized token, a refused signature).

EC2's DescribeRegions, asked in a region every account has, tells each region's opt-in
status; it is the call the admin's rights most likely allow (account:GetRegionOptStatus is
rarer). When it is refused the check is skipped with a warning: the deployment's own calls
will fail if the region is closed.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from functions.errors import WbsError
from wbs import console

# Where each partition's regions are listed: a region enabled in every account.
HOME = {"aws": "us-east-1"}
CLOSED = "not-opted-in"


class RegionError(WbsError, ValueError):
    """The region does not exist, or is not enabled for this account."""


def check_enabled(session: Any, region: str, partition: str) -> None:
    """Raise RegionError if ``region`` is not open to the session's account."""
    home = HOME.get(partition)
    if home is None or region == home:
        return
    ec2 = session.client("ec2", region_name=home)
    try:
        listed = ec2.describe_regions(AllRegions=True, RegionNames=[region])["Regions"]
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "InvalidParameterValue":
            listed = []
        else:
            _skipped(region, code)
            return
    except NoCredentialsError:
        raise  # wbs deploy says so, with its hint
    except BotoCoreError as exc:
        _skipped(region, str(exc))
        return
    status = listed[0].get("OptInStatus", "") if listed else None
    if status is None:
        raise RegionError(
            f"AWS has no region {region}",
            hint='set deployment.region to a region such as "ap-southeast-3" (Jakarta)',
        )
    if status == CLOSED:
        raise RegionError(
            f"region {region} is not enabled for this account: it is an opt-in region",
            hint=f"enable it (aws account enable-region --region-name {region}, or the"
            " console: Account, AWS Regions), wait until it shows Enabled, then wbs deploy"
            " again (docs/deploy.md)",
        )


def _skipped(region: str, why: str) -> None:
    console.err.print(
        f"wbs: warning: could not check that region {region} is enabled ({why}): if the"
        " calls below fail with a refused token, enable it (docs/deploy.md)",
        markup=False,
        highlight=False,
    )
