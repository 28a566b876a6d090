"""How every S3 client of the project names a bucket: in the host (virtual-hosted style,
``<bucket>.s3.<region>.amazonaws.com``) or in the path (``<endpoint>/<bucket>/<key>``).

One choice for the storage's client, the upload client that presigns the evidence parts and
the inspector's tool, so that a part URL names the bucket where the reverse proxy's route
(CloudFront's ``/attachments/*`` origin, ``infra/selfhost/nginx-s3.conf``) sends it:

- ``auto`` (the default): virtual-hosted on AWS (no ``WBS_S3_ENDPOINT``), which S3 needs for
  Regions opened after March 2019 such as Jakarta; path-style for an S3-compatible endpoint,
  which MinIO, Ceph RGW and Garage answer without a wildcard DNS name (``<bucket>.<host>``
  resolves nowhere unless the admin made it so).
- ``path`` or ``virtual``: forced, for a store set up otherwise (``virtual``: MinIO with
  ``MINIO_DOMAIN`` and a DNS name per bucket).

botocore addresses an IP-literal endpoint path-style whatever is asked: only a host name
sees the difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

Addressing = Literal["auto", "path", "virtual"]
VARIABLE = "WBS_S3_ADDRESSING"
CHOICES: tuple[Addressing, ...] = ("auto", "path", "virtual")


def from_env(env: Mapping[str, str]) -> Addressing:
    """``WBS_S3_ADDRESSING``, ``auto`` when unset or empty; ValueError for anything else."""
    text = env.get(VARIABLE) or "auto"
    for choice in CHOICES:
        if text == choice:
            return choice
    raise ValueError(f"{VARIABLE} must be one of {', '.join(CHOICES)}, not {text!r}")


def style(endpoint_url: str | None, addressing: Addressing = "auto") -> Literal["path", "virtual"]:
    """The addressing style for a client of ``endpoint_url`` (None: AWS's own)."""
    if addressing == "path" or (addressing == "auto" and endpoint_url):
        return "path"
    return "virtual"


def client(endpoint_url: str | None, addressing: Addressing, config: Config) -> S3Client:
    """An S3 client with ``config`` and the addressing style chosen here (region and
    credentials as boto3 finds them: on Lambda, the function's region and role)."""
    chosen = config.merge(Config(s3={"addressing_style": style(endpoint_url, addressing)}))
    return boto3.client("s3", endpoint_url=endpoint_url, config=chosen)
