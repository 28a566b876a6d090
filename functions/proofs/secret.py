"""Where the proof-of-work key comes from: on AWS, a SecureString in SSM Parameter Store
(``WBS_POW_SECRET_PARAMETER``, read once per cold start); on the local host,
``WBS_POW_SECRET`` or ``$WBS_HOME/pow-secret`` (``functions.host_secret``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions import host_secret

FILE_NAME = "pow-secret"
VARIABLE = "WBS_POW_SECRET"
PARAMETER_VARIABLE = "WBS_POW_SECRET_PARAMETER"
CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3}
)


def from_parameter(name: str, client: Any = None) -> bytes:
    """The 32 bytes the SecureString parameter ``name`` holds as 64 hex digits (``wbs
    deploy`` makes it). Raise ValueError, naming the parameter but never its value."""
    # Any: no SSM type stubs are installed (only the S3, SNS, Lambda and CloudFormation ones).
    ssm = client or boto3.client("ssm", config=CLIENT_CONFIG)
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ValueError(f"cannot read the SSM parameter {name} ({code})") from None
    except BotoCoreError as exc:
        raise ValueError(f"cannot read the SSM parameter {name} ({type(exc).__name__})") from None
    if not isinstance(value, str):
        raise ValueError(f"the SSM parameter {name} does not hold 64 hex digits")
    if not host_secret.HEX_RE.fullmatch(value):
        raise ValueError(f"the SSM parameter {name} does not hold 64 hex digits")
    return bytes.fromhex(value)


def from_host(configured: str | None, home: Path | None) -> bytes:
    """``WBS_POW_SECRET``; else ``$WBS_HOME/pow-secret``, made on first use (mode 0600);
    else, with no home, a fresh key for this process only."""
    return host_secret.load(configured, home, FILE_NAME, VARIABLE)
