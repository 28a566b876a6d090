"""The ``[deployment]`` table of the institution's config file: which stack, where, and the
few settings the template takes from the admin.

The file is ``--config`` (default: the project's ``site/config.toml``). The table::

    [deployment]
    stack_name = "wbs-inspektorat"   # CloudFormation stack name (required)
    region = "ap-southeast-3"        # Jakarta: the data stays in Indonesia
    notify_email = ""                # "" or an address that gets "a new report arrived"
    retention_days = 0               # 0: keep everything; else delete after N days
    throttle_rate = 10               # API requests per second, steady
    throttle_burst = 20
    domain = ""                      # optional custom domain
    certificate_arn = ""             # its ACM certificate (us-east-1), required with domain

Every value is checked here, before anything is sent to AWS, so that a typo is named by its
field rather than by a CloudFormation error minutes later. The upload limits come from the
``[uploads]`` table (``wbs.config.upload_limits``), the same one the site build reads, so
that the page and the API it talks to agree; the proof of work's difficulty from
``[proof_of_work]`` (``wbs.config.proof_difficulty``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.errors import WbsError
from functions.uploads import Limits
from wbs import config as wbs_config

DEFAULT_PATH = wbs_config.DEFAULT_PATH
DEFAULT_REGION = "ap-southeast-3"
FIELDS = frozenset(
    {
        "stack_name",
        "region",
        "notify_email",
        "retention_days",
        "throttle_rate",
        "throttle_burst",
        "domain",
        "certificate_arn",
    }
)
# CloudFormation: a letter, then letters, digits and hyphens, at most 128 characters.
STACK_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
# ap-southeast-3, us-gov-west-1, cn-north-1, eu-central-2 ...
REGION_RE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
# Deliberately plain: one @, a dot in the domain, no spaces or quotes. SNS sends a
# confirmation mail, which is the real check.
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}")
LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# CloudFront takes certificates from us-east-1 only.
CERTIFICATE_RE = re.compile(
    r"arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
MAX_RETENTION_DAYS = 36_500  # a century: anything larger is a typo
MAX_THROTTLE_RATE = 10_000  # API Gateway's default account quota, requests per second
MAX_THROTTLE_BURST = 5_000  # and its burst quota
HINT = "see the [deployment] example in docs/deploy.md"


class DeploymentConfigError(WbsError, ValueError):
    """The config file has no usable [deployment] table."""


@dataclass(frozen=True)
class Deployment:
    stack_name: str
    region: str = DEFAULT_REGION
    notify_email: str = ""
    retention_days: int = 0
    throttle_rate: int = 10
    throttle_burst: int = 20
    domain: str = ""
    certificate_arn: str = ""


def load(path: Path | None = None) -> Deployment:
    """The ``[deployment]`` table of ``path`` (the project's site/config.toml when None)."""
    path = path or DEFAULT_PATH
    try:
        data = wbs_config.read_toml(path, HINT)
    except wbs_config.ConfigFileError as exc:
        raise DeploymentConfigError(str(exc), hint=exc.hint) from None
    table = data.get("deployment")
    if table is None:
        raise _error(path, "has no [deployment] table")
    if not isinstance(table, dict):
        raise _error(path, "deployment must be a table: [deployment]")
    unknown = sorted(set(table) - FIELDS)
    if unknown:
        raise _error(path, f"deployment has an unknown field {unknown[0]!r}")
    if "stack_name" not in table:
        raise _error(path, 'deployment.stack_name is missing: stack_name = "wbs-inspektorat"')
    defaults = Deployment(stack_name="-")
    domain = _domain(table.get("domain", ""), path)
    certificate = _text(
        table, "certificate_arn", CERTIFICATE_RE, path, 'an ACM certificate ARN in us-east-1, or ""'
    )
    if bool(domain) != bool(certificate):
        raise _error(
            path,
            "deployment.domain and deployment.certificate_arn go together: give both or neither",
        )
    return Deployment(
        stack_name=_text(
            table,
            "stack_name",
            STACK_RE,
            path,
            "a letter, then up to 127 letters, digits and hyphens",
            optional=False,
        ),
        region=_text(
            table,
            "region",
            REGION_RE,
            path,
            'an AWS region such as "ap-southeast-3"',
            optional=False,
            default=defaults.region,
        ),
        notify_email=_text(table, "notify_email", EMAIL_RE, path, 'an email address, or ""'),
        retention_days=_whole(table, "retention_days", 0, MAX_RETENTION_DAYS, path, defaults),
        throttle_rate=_whole(table, "throttle_rate", 1, MAX_THROTTLE_RATE, path, defaults),
        throttle_burst=_whole(table, "throttle_burst", 1, MAX_THROTTLE_BURST, path, defaults),
        domain=domain,
        certificate_arn=certificate,
    )


def upload_limits(path: Path | None = None) -> Limits:
    """The ``[uploads]`` table of the same file: what the deployed functions allow. The
    admin's own WBS_UPLOAD_* variables are ignored, as the site build ignores them, so that
    the page and the API always tell the same limits."""
    return wbs_config.upload_limits(path or DEFAULT_PATH, environ={})


def proof_difficulty(path: Path | None = None) -> int:
    """The ``[proof_of_work]`` difficulty of the same file: what the deployed function asks.
    The admin's own WBS_POW_DIFFICULTY is ignored, as the upload variables are."""
    return wbs_config.proof_difficulty(path or DEFAULT_PATH, environ={})


def _text(
    table: dict[str, Any],
    name: str,
    pattern: re.Pattern[str],
    path: Path,
    what: str,
    *,
    optional: bool = True,
    default: str = "",
) -> str:
    """A string field: "" means "none" for an optional field and is refused otherwise."""
    value = table.get(name, default)
    if not isinstance(value, str) or not (pattern.fullmatch(value) or (optional and value == "")):
        raise _error(path, f"deployment.{name} must be {what}")
    return value


def _whole(
    table: dict[str, Any], name: str, least: int, most: int, path: Path, defaults: Deployment
) -> int:
    value = table.get(name, getattr(defaults, name))
    # bool is an int in Python; `retention_days = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise _error(path, f"deployment.{name} must be a whole number from {least} to {most}")
    return value


def _domain(value: object, path: Path) -> str:
    if value == "":
        return ""
    labels = value.split(".") if isinstance(value, str) else []
    if (
        len(labels) < 2
        or not isinstance(value, str)
        or len(value) > 253
        or not all(LABEL_RE.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise _error(
            path,
            'deployment.domain must be a lower-case host name such as "wbs.example.go.id", or ""',
        )
    return value


def _error(path: Path, problem: str) -> DeploymentConfigError:
    return DeploymentConfigError(f"{path}: {problem}", hint=HINT)
