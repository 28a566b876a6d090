"""The proof-of-work key of a deployment (docs/spec/pow-v1.md): a SecureString in SSM
Parameter Store, made by ``wbs deploy`` and read by the function once per cold start.

CloudFormation cannot create a SecureString parameter, so the deployment makes it before the
stack, with 32 random bytes (64 hex digits) and the account's AWS managed key ``aws/ssm``,
and never overwrites it: challenges signed before a deployment stay valid after it. The
template gets only its name (``ProofSecretParameter``); the value never leaves AWS.
"""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import ClientError

from functions.errors import WbsError

DESCRIPTION = "WBS proof-of-work key (HMAC-SHA256 of challenges); made by wbs deploy"


def parameter_name(stack_name: str) -> str:
    return f"/wbs/{stack_name}/pow-secret"


def ensure(ssm: Any, name: str) -> bool:
    """Make the SecureString ``name`` unless it exists (never overwritten); True if made now.

    ``ssm`` is a boto3 SSM client (Any: no SSM type stubs are installed)."""
    try:
        ssm.put_parameter(
            Name=name,
            Description=DESCRIPTION,
            Value=secrets.token_hex(32),
            Type="SecureString",
            Overwrite=False,
            Tier="Standard",
        )
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
            raise
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    kinds = [p.get("Type") for p in found.get("Parameters", [])]
    if kinds != ["SecureString"]:
        raise WbsError(
            f"the SSM parameter {name} exists but is not a SecureString",
            hint=f"delete it (aws ssm delete-parameter --name {name}) and deploy again:"
            " wbs deploy makes a new key",
        )
    return False
