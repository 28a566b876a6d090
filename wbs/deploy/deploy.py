"""``wbs deploy``: from a checkout to a running deployment, in one command.

The steps, in order:

1. ``make_plan`` (no AWS): read ``[deployment]``, ``[uploads]``, ``[proof_of_work]`` and
   the ``[[desks]]`` ids, build the functions zip (``package.py``), check the built site
   (``publish.py``) against the keyring, and add one IAM policy a desk to the template
   (``desks.py``). This is all ``--dry-run`` does; it creates no AWS client at all.
2. ``deploy``: find the account, make sure the artifacts bucket exists (private, encrypted,
   versioned, TLS-only, named after the account and region), upload the zip under its SHA-256
   unless it is there already, make the proof-of-work key in SSM Parameter Store unless it
   is there already (``proof_secret.py``), create a change set (``stack.py``), show it and
   ask, execute it and wait with progress, read the outputs and each desk's policy ARN, and
   upload the site (only what changed).

A second run with nothing changed uploads no zip, finds the change set empty and deletes it,
and uploads no site file: it changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from functions.errors import WbsError
from functions.keyring import load_active
from functions.proofs import DEFAULT_DIFFICULTY
from functions.uploads import Limits
from wbs import config, console, demo, paths
from wbs.config import Deployment
from wbs.deploy import desks, names, object_lock, proof_secret, publish, regions, stack
from wbs.deploy.package import Package, package
from wbs.deploy.publish import Site, Upload

ROUTING_FILE = "routing.json"  # wbs.build writes it at the root of the site

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_s3 import S3Client

TEMPLATE = paths.PROJECT_ROOT / "infra" / "template.yaml"
TEMPLATE_BODY_LIMIT = 51_200  # CloudFormation's largest TemplateBody; larger goes by S3 URL
# The stack's outputs (infra/template.yaml), in the order they are shown.
OUTPUTS = (
    "SiteUrl",
    "SiteBucket",
    "DataBucket",
    "DistributionId",
    "FunctionName",
    "TopicArn",
    "InspectorPolicyArn",
    "Region",
)
CREDENTIALS_HINT = "give the admin's AWS credentials: aws configure, or AWS_PROFILE=<profile>"
# The data bucket is Retain: a replacement would leave every report in an orphaned bucket
# and start an empty one that the function writes to.
DATA_BUCKET = "DataBucket"
REPLACES = ("True", "Conditional")


@dataclass(frozen=True)
class Plan:
    """Everything a deployment sends, computed without AWS."""

    deployment: Deployment
    limits: Limits
    package: Package
    site: Site
    template: str
    proof_difficulty: int = DEFAULT_DIFFICULTY
    desks: tuple[str, ...] = ()  # the config's [[desks]] ids: one IAM policy each

    @property
    def proof_secret_parameter(self) -> str:
        return proof_secret.parameter_name(self.deployment.stack_name)

    def parameters(self, code_bucket: str) -> dict[str, str]:
        """The template's parameters, every one given (none left to a previous value)."""
        d, limits = self.deployment, self.limits
        return {
            "CodeBucket": code_bucket,
            "CodeKey": self.package.key,
            "RetentionDays": str(d.retention_days),
            "NotifyEmail": d.notify_email,
            "ThrottleRate": str(d.throttle_rate),
            "ThrottleBurst": str(d.throttle_burst),
            "UploadPartBytes": str(limits.part_bytes),
            "UploadMaxObjectBytes": str(limits.max_object_bytes),
            "UploadMaxFiles": str(limits.max_files),
            "UploadMaxCaseBytes": str(limits.max_case_bytes),
            "UploadGrantSeconds": str(limits.grant_seconds),
            "ProofDifficulty": str(self.proof_difficulty),
            "ProofSecretParameter": self.proof_secret_parameter,
            "DomainName": d.domain,
            "CertificateArn": d.certificate_arn,
            "ObjectLockMode": object_lock.parameter(d),
            "ObjectLockDays": str(d.object_lock_days),
            "AlarmStorageBytes": str(d.alarm_storage_gib << 30),
            "AlarmObjectCount": str(d.alarm_objects),
        }


@dataclass(frozen=True)
class Outcome:
    """What a deployment did, for the command to report."""

    stack_changed: bool
    declined: bool = False
    code_uploaded: bool = False
    secret_created: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None
    desk_policies: dict[str, str] = field(default_factory=dict)  # desk id -> policy ARN

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in OUTPUTS if name not in self.outputs)


def artifacts_bucket(account: str, region: str) -> str:
    return f"wbs-artifacts-{account}-{region}"


def make_plan(config_path: Path | None, keyring: Path, site: Path) -> Plan:
    """Read, build and check everything locally; nothing is sent anywhere."""
    settings = config.load_deployment(config_path)
    desk_ids = desks.desk_ids(config_path)
    ring = load_active(keyring)
    # Whatever built the site: a deployment is for real reports, never the demo's keys.
    demo.refuse(ring, keyring)
    try:
        template = TEMPLATE.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WbsError(
            f"no template at {TEMPLATE}", hint="wbs deploy runs from a checkout of the repository"
        ) from None
    template = desks.render(template, desk_ids)
    check_stack_name(settings.deployment.stack_name, template)
    return Plan(
        settings.deployment,
        settings.uploads,
        # The API checks reports against the very rules the page routes with: the built
        # site's routing.json (wbs build writes it beside the pages), never another copy.
        package(keyring, routing=site / ROUTING_FILE),
        publish.read_site(site, ring),
        template,
        settings.proof_difficulty,
        desk_ids,
    )


def check_stack_name(name: str, template: str) -> None:
    """Refuse a stack name that some name the template derives from it cannot hold."""
    longest, cause = names.longest_stack_name(template)
    if len(name) <= longest or cause is None:
        return
    raise WbsError(
        f"stack name {name} is {len(name)} characters: the template can take at most"
        f" {longest} ({cause.logical_id}'s {cause.prop}, {cause.pattern}, must fit in"
        f" {cause.limit})",
        hint=f"choose a shorter deployment.stack_name, of at most {longest} characters",
    )


def deploy(
    plan: Plan,
    confirm: Callable[[stack.ChangeSet], bool],
    *,
    session: boto3.session.Session | None = None,
    poll: float = stack.POLL_SECONDS,
) -> Outcome:
    """Create or update the stack and upload the site. ``confirm`` sees the change set and
    says whether to execute it; declined, the change set is deleted and nothing changes."""
    try:
        return _deploy(plan, confirm, session, poll)
    except NoCredentialsError:
        raise WbsError("no AWS credentials found", hint=CREDENTIALS_HINT) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise WbsError(
            f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}",
            hint="the admin's credentials need CloudFormation, S3, IAM, Lambda, SNS, SSM, logs,"
            " CloudWatch, API Gateway and CloudFront rights (docs/deploy.md)",
        ) from None
    except BotoCoreError as exc:
        raise WbsError(f"AWS: {exc}", hint="check the network and the region") from None


def _deploy(
    plan: Plan,
    confirm: Callable[[stack.ChangeSet], bool],
    session: boto3.session.Session | None,
    poll: float,
) -> Outcome:
    d = plan.deployment
    session = session or boto3.session.Session(region_name=d.region)
    partition = session.get_partition_for_region(d.region)
    regions.check_enabled(session, d.region, partition)
    account = session.client("sts", region_name=d.region).get_caller_identity()["Account"]
    s3 = session.client("s3", region_name=d.region)
    cf = session.client("cloudformation", region_name=d.region)

    kind = stack.change_type(d.stack_name, d.region, stack.status(cf, d.stack_name))
    bucket = ensure_artifacts_bucket(s3, account, d.region, partition)
    code_uploaded = put_once(s3, bucket, account, plan.package.key, plan.package.data)
    ssm = session.client("ssm", region_name=d.region)
    secret_created = proof_secret.ensure(ssm, plan.proof_secret_parameter)
    template = template_source(s3, bucket, account, plan.template)
    console.err.print(f"Computing the changes to stack {d.stack_name} ({d.region})...")
    cs = stack.create_change_set(
        cf, d.stack_name, kind, template, plan.parameters(bucket), poll=poll
    )
    if cs is not None:
        refuse_replacing_data(cf, cs)
        try:
            accepted = confirm(cs)
        except BaseException:  # an interrupted or failed question leaves no change set behind
            stack.discard(cf, cs)
            raise
        if not accepted:
            stack.discard(cf, cs)
            return Outcome(
                stack_changed=False,
                declined=True,
                code_uploaded=code_uploaded,
                secret_created=secret_created,
            )
        _execute(cf, cs, poll)
    outputs = stack.outputs(cf, d.stack_name)
    site_bucket = outputs.get("SiteBucket")
    if not site_bucket:
        raise WbsError(
            f"stack {d.stack_name} has no SiteBucket output: the site was not uploaded",
            hint="check that infra/template.yaml is the repository's",
        )
    made = stack.resources(cf, d.stack_name) if plan.desks else {}
    desk_policies = {
        desk: made[desks.logical_id(desk)] for desk in plan.desks if desks.logical_id(desk) in made
    }
    with console.transfer("uploading the site", plan.site.size) as advance:
        upload = publish.upload(s3, site_bucket, account, plan.site, advance)
    return Outcome(
        cs is not None, False, code_uploaded, secret_created, outputs, upload, desk_policies
    )


def refuse_replacing_data(cf: CloudFormationClient, cs: stack.ChangeSet) -> None:
    """A change set that would replace the data bucket is deleted, never shown for a yes."""
    if not any(c.logical_id == DATA_BUCKET and c.replacement in REPLACES for c in cs.changes):
        return
    stack.discard(cf, cs)
    raise stack.StackError(
        f"the change would replace the data bucket of stack {cs.stack_name}: its reports"
        " would stay behind in the old bucket while the API wrote to a new, empty one",
        hint="nothing was changed; Object Lock is turned on or off only when the stack is"
        ' created (docs/aws.md, "Object Lock"): restore deployment.object_lock',
    )


def ensure_artifacts_bucket(s3: S3Client, account: str, region: str, partition: str) -> str:
    """The account's bucket for functions zips (and large templates), made on first use.

    Its name is predictable, so it is only ever used with ``ExpectedBucketOwner``: a bucket of
    that name in another account is refused, never written to."""
    name = artifacts_bucket(account, region)
    try:
        s3.head_bucket(Bucket=name, ExpectedBucketOwner=account)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("403", "AccessDenied", "Forbidden"):
            raise WbsError(
                f"the artifacts bucket {name} exists but is not this account's",
                hint="check the account of your credentials (aws sts get-caller-identity)",
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        console.err.print(f"Creating the artifacts bucket {name}...")
        _create_bucket(s3, name, region)
    if not _has_policy(s3, name, account):
        _configure(s3, name, account, partition)
    return name


def _create_bucket(s3: S3Client, name: str, region: str) -> None:
    try:
        if region == "us-east-1":  # the one region that takes no location constraint
            s3.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerEnforced")
        else:
            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                ObjectOwnership="BucketOwnerEnforced",
            )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "BucketAlreadyExists":  # taken, between the check and now, by someone else
            raise WbsError(
                f"the artifacts bucket name {name} is taken by another account",
                hint="S3 bucket names are global; see docs/deploy.md",
            ) from None
        if code != "BucketAlreadyOwnedByYou":  # made by a run alongside this one: fine
            raise


def _has_policy(s3: S3Client, bucket: str, account: str) -> bool:
    """The policy is set last: a bucket that has it was configured completely."""
    try:
        s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=account)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
            return False
        raise
    return True


def _configure(s3: S3Client, bucket: str, account: str, partition: str) -> None:
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        ExpectedBucketOwner=account,
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
        ExpectedBucketOwner=account,
    )
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}, ExpectedBucketOwner=account
    )
    arn = f"arn:{partition}:s3:::{bucket}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy), ExpectedBucketOwner=account)


def put_once(s3: S3Client, bucket: str, account: str, key: str, data: bytes) -> bool:
    """Upload ``data`` under a key named after its hash, unless it is there: True if sent."""
    try:
        s3.head_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    digest = hashlib.sha256(data).digest()
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=data,
        ChecksumSHA256=base64.b64encode(digest).decode("ascii"),
        ExpectedBucketOwner=account,
    )
    return True


def template_source(s3: S3Client, bucket: str, account: str, template: str) -> dict[str, str]:
    """``TemplateBody``, or ``TemplateURL`` of a copy in the artifacts bucket when the
    template is larger than CloudFormation takes inline."""
    body = template.encode("utf-8")
    if len(body) <= TEMPLATE_BODY_LIMIT:
        return {"TemplateBody": template}
    key = f"templates/{hashlib.sha256(body).hexdigest()}.yaml"
    put_once(s3, bucket, account, key, body)
    endpoint = s3.meta.endpoint_url.split("://", 1)
    return {"TemplateURL": f"{endpoint[0]}://{bucket}.{endpoint[1]}/{key}"}


def _execute(cf: CloudFormationClient, cs: stack.ChangeSet, poll: float) -> None:
    """Execute with a spinner and a count of resources done; every event on stderr."""
    touched = {c.logical_id for c in cs.changes}
    done: set[str] = set()
    with _stack_progress(len(touched)) as advance:

        def on_event(event: stack.Event) -> None:
            reason = f"  {event.reason}" if event.status.endswith("_FAILED") else ""
            console.err.print(
                f"  {event.status:<28} {event.resource_type:<36} {event.logical_id}{reason}",
                markup=False,
            )
            if event.logical_id in touched - done and event.status.endswith("_COMPLETE"):
                done.add(event.logical_id)
                advance()

        try:
            stack.execute(cf, cs, on_event, poll=poll)
        except KeyboardInterrupt:
            raise stack.StackError(
                "interrupted: the stack's change goes on in AWS without this command",
                hint=f"wait for it to end (aws cloudformation describe-stacks --stack-name"
                f" {cs.stack_name}), then run wbs deploy again to upload the site",
            ) from None


@contextmanager
def _stack_progress(total: int) -> Iterator[Callable[[], None]]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    shown = console.err.is_terminal
    with Progress(*columns, console=console.err, transient=True, disable=not shown) as bar:
        task = bar.add_task("CloudFormation: resources done", total=total)
        yield lambda: bar.advance(task)
