"""``[deployment]``: which stack ``wbs deploy`` makes, where, and the few settings the
CloudFormation template takes from the admin::

    [deployment]
    stack_name = "wbs-inspektorat"   # CloudFormation stack name (required)
    region = "ap-southeast-3"        # Jakarta: the data stays in Indonesia
    notify_email = ""                # "" or an address that gets "a new report arrived"
    retention_days = 0               # 0: keep everything; else delete after N days
    throttle_rate = 10               # API requests per second, steady
    throttle_burst = 20
    domain = ""                      # optional custom domain
    certificate_arn = ""             # its ACM certificate (us-east-1), required with domain
    object_lock = "off"              # "governance" or "compliance": at creation (docs/aws.md)
    object_lock_days = 365           # how long each object written is locked
    alarm_storage_gib = 100          # alarm when the data bucket holds more (GiB)
    alarm_objects = 1000000          # alarm when it holds more objects
    bill_alarm_usd = 0               # > 0: wbs deploy prints the bill alarm's commands

Every value is checked here, before anything is sent to AWS, so that a typo is named by its
field rather than by a CloudFormation error minutes later. The upload limits and the proof of
work's difficulty the deployment passes on come from ``[uploads]`` and ``[proof_of_work]`` of
the same file, the ones the site build reads, so that the page and the API it talks to agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wbs.config.fields import Table

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
        "object_lock",
        "object_lock_days",
        "alarm_storage_gib",
        "alarm_objects",
        "bill_alarm_usd",
    }
)
OBJECT_LOCK_MODES = ("off", "governance", "compliance")
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
MAX_ALARM_GIB = 1 << 20  # a pebibyte
MAX_ALARM_OBJECTS = 10**12
MAX_BILL_USD = 1_000_000
HINT = "see the [deployment] example in docs/deploy.md"


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
    object_lock: str = "off"  # off | governance | compliance
    object_lock_days: int = 365
    alarm_storage_gib: int = 100
    alarm_objects: int = 1_000_000
    bill_alarm_usd: int = 0  # 0: no bill alarm commands are printed


def parse(top: Table) -> Deployment:
    """The ``[deployment]`` table, which ``wbs deploy`` cannot do without."""
    table = top.required("deployment", FIELDS, HINT)
    if "stack_name" not in table.values:
        raise table.error("stack_name", 'is missing: stack_name = "wbs-inspektorat"')
    defaults = Deployment(stack_name="-")
    domain = _domain(table)
    certificate = table.matching(
        "certificate_arn", CERTIFICATE_RE, 'an ACM certificate ARN in us-east-1, or ""'
    )
    if bool(domain) != bool(certificate):
        raise table.error(
            "domain", "and deployment.certificate_arn go together: give both or neither"
        )
    return Deployment(
        stack_name=table.matching(
            "stack_name",
            STACK_RE,
            "a letter, then up to 127 letters, digits and hyphens",
            optional=False,
        ),
        region=table.matching(
            "region",
            REGION_RE,
            'an AWS region such as "ap-southeast-3"',
            optional=False,
            default=defaults.region,
        ),
        notify_email=table.matching("notify_email", EMAIL_RE, 'an email address, or ""'),
        retention_days=table.whole(
            "retention_days", 0, MAX_RETENTION_DAYS, defaults.retention_days
        ),
        throttle_rate=table.whole("throttle_rate", 1, MAX_THROTTLE_RATE, defaults.throttle_rate),
        throttle_burst=table.whole(
            "throttle_burst", 1, MAX_THROTTLE_BURST, defaults.throttle_burst
        ),
        domain=domain,
        certificate_arn=certificate,
        object_lock=_object_lock(table, defaults.object_lock),
        object_lock_days=table.whole(
            "object_lock_days", 1, MAX_RETENTION_DAYS, defaults.object_lock_days
        ),
        alarm_storage_gib=table.whole(
            "alarm_storage_gib", 1, MAX_ALARM_GIB, defaults.alarm_storage_gib
        ),
        alarm_objects=table.whole("alarm_objects", 1, MAX_ALARM_OBJECTS, defaults.alarm_objects),
        bill_alarm_usd=table.whole("bill_alarm_usd", 0, MAX_BILL_USD, defaults.bill_alarm_usd),
    )


def _object_lock(table: Table, default: str) -> str:
    if "object_lock" not in table.values:
        return default
    return table.one_of("object_lock", OBJECT_LOCK_MODES)


def _domain(table: Table) -> str:
    value = table.values.get("domain", "")
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
        raise table.error(
            "domain", 'must be a lower-case host name such as "wbs.example.go.id", or ""'
        )
    return value
