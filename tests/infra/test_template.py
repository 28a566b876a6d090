"""infra/template.yaml, read as data: cfn-lint, the buckets, who may do what, the security
headers, throttling, and the absence of any log that could hold a reporter's IP address.

moto deploys neither API Gateway v2 nor CloudFront, so the template is checked as a
document. The function's permissions are also checked against what the code really calls:
the whole API runs on moto while every S3 and SNS call it makes is recorded, and each call is
then judged against the template's policies (a small evaluator of the few IAM forms the
template uses), in both directions: every call is allowed, and every grant is used. The
inspectors' policy is judged the same way against the calls of `wbs inbox`."""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.typing import LambdaContext
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode
from moto import mock_aws

from functions import app as api
from functions import mailbox_token, notify, routing
from functions.attachment_size import stored_size
from functions.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from functions.keyring import Keyring
from functions.proofs.challenge import LIFETIME_SECONDS
from functions.storage import S3Storage, layout
from functions.uploads.grants import ENV, UPLOAD_SECONDS, Limits
from functions.uploads.s3 import upload_client
from tests.support.api import (
    RECOVERY,
    bearer,
    envelope_json,
    identity,
    new_token,
    post_event,
    sealed,
    write_desks,
)
from tests.support.api import write_keyring as make_keyring
from tests.support.inbox import (
    add_inspector_key,
    payload,
    post_followup,
    put,
    upload,
    use_private_home,
    wbs,
)
from tests.support.pow import with_proof
from wbs.deploy import deploy, desks
from wbs.desks import grants

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
REGION = "ap-southeast-3"
DAY = 24 * 3600

PARAMETERS = {
    "CodeBucket",
    "CodeKey",
    "RetentionDays",
    "NotifyEmail",
    "ThrottleRate",
    "ThrottleBurst",
    "UploadPartBytes",
    "UploadMaxObjectBytes",
    "UploadMaxFiles",
    "UploadMaxCaseBytes",
    "UploadGrantSeconds",
    "ProofDifficulty",
    "ProofSecretParameter",
    "DomainName",
    "CertificateArn",
    "ObjectLockMode",
    "ObjectLockDays",
    "AlarmStorageBytes",
    "AlarmObjectCount",
}
# The outputs `wbs deploy` reads: the template must give every one.
OUTPUTS = set(deploy.OUTPUTS)
# Limits field -> the template parameter that sets it (upload_seconds is fixed: a day)
UPLOAD_PARAMETERS = {
    "part_bytes": "UploadPartBytes",
    "max_object_bytes": "UploadMaxObjectBytes",
    "max_files": "UploadMaxFiles",
    "max_case_bytes": "UploadMaxCaseBytes",
    "grant_seconds": "UploadGrantSeconds",
}

# A tag may be given only with an object's creation, never to one that has a wbs-desks tag.
ONLY_A_NEW_OBJECTS_DESKS_TAG = {
    "Null": {"s3:ExistingObjectTag/wbs-desks": "true"},
    "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["wbs-desks"]},
}
# A central desk, a regency's, and the escalation desk (the config's [[desks]] ids)
DESKS = ("inspektorat", "kab-bandung", "pimpinan")


@cache
def template() -> dict[str, Any]:
    data, problems = decode(str(TEMPLATE))
    assert not problems, problems
    return json.loads(json.dumps(data))  # plain dicts and lists


def resource(name: str) -> dict[str, Any]:
    found: dict[str, Any] = template()["Resources"][name]
    return found


def props(name: str) -> dict[str, Any]:
    found: dict[str, Any] = resource(name)["Properties"]
    return found


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template()["Resources"].items() if r["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(s) for s in as_list(policy_document["Statement"])]


def function_statements() -> list[dict[str, Any]]:
    (policy,) = props("FunctionRole")["Policies"]
    return statements(policy["PolicyDocument"])


def bucket_policy(bucket: str) -> list[dict[str, Any]]:
    found = [
        p["Properties"]["PolicyDocument"]
        for p in of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    assert len(found) == 1, bucket
    return statements(found[0])


# --- the template as a whole -------------------------------------------------------------------


def test_cfn_lint_passes() -> None:
    # The same linter the admin can run; any error or warning fails the suite.
    matches = lint_file(TEMPLATE, ManualArgs(regions=[REGION, "us-east-1"]))
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_parameters_and_outputs_are_the_deployment_interface() -> None:
    # wbs deploy passes these parameters and reads these outputs by name.
    assert set(template()["Parameters"]) == PARAMETERS
    assert set(template()["Outputs"]) == OUTPUTS
    assert template()["Outputs"]["Region"]["Value"] == {"Ref": "AWS::Region"}


def test_upload_limits_default_to_the_functions_own_and_reach_the_function() -> None:
    parameters = template()["Parameters"]
    variables = props("Function")["Environment"]["Variables"]
    defaults = Limits()
    assert set(UPLOAD_PARAMETERS) | {"upload_seconds"} == set(ENV)
    for name, parameter in UPLOAD_PARAMETERS.items():
        assert parameters[parameter]["Type"] == "Number"
        assert parameters[parameter]["Default"] == getattr(defaults, name), parameter
        assert variables[ENV[name]] == {"Ref": parameter}
    # The defaults pass the functions' own checks
    Limits(**{n: parameters[p]["Default"] for n, p in UPLOAD_PARAMETERS.items()})
    # An upload ends after the day its lifecycle rule aborts it in
    assert variables[ENV["upload_seconds"]] == str(UPLOAD_SECONDS)
    (abort,) = [r for r in lifecycle_rules("DataBucket") if "AbortIncompleteMultipartUpload" in r]
    assert abort["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] * DAY == UPLOAD_SECONDS


def test_the_function_runs_the_api_with_the_deployments_settings() -> None:
    function = props("Function")
    assert function["Handler"] == "functions.app.lambda_handler"
    assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["arm64"])
    assert function["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    assert function["Role"] == {"Fn::GetAtt": ["FunctionRole", "Arn"]}
    variables = dict(function["Environment"]["Variables"])
    for name in ENV.values():
        variables.pop(name)
    assert variables == {
        "WBS_STORAGE": {"Fn::Sub": "s3://${DataBucket}"},
        "WBS_KEYRING": "keys/keyring.json",
        "WBS_ROUTING": "keys/routing.json",
        notify.TOPIC_VARIABLE: {"Ref": "Topic"},
        "POWERTOOLS_SERVICE_NAME": "wbs",
        "WBS_POW_DIFFICULTY": {"Ref": "ProofDifficulty"},
        "WBS_POW_SECRET_PARAMETER": {"Ref": "ProofSecretParameter"},
        # tests/infra/test_object_lock_template.py: MODE:DAYS with a mode, else empty
        "WBS_OBJECT_LOCK": {
            "Fn::If": ["HasObjectLock", {"Fn::Sub": "${ObjectLockMode}:${ObjectLockDays}"}, ""]
        },
    }


def test_every_resource_type_has_been_reviewed() -> None:
    # A new kind of resource (a trail, a log delivery, a WAF with logging...) must be looked
    # at for what it records before it is added here.
    reviewed = {
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Stage",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::CloudFront::CachePolicy",
        "AWS::CloudFront::OriginRequestPolicy",
        "AWS::CloudFront::Function",
        "AWS::CloudFront::Distribution",
        # aggregate metrics only (counts, sizes): no request, address or content
        "AWS::CloudWatch::Alarm",
    }
    assert {r["Type"] for r in template()["Resources"].values()} <= reviewed


# --- buckets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bucket", ["DataBucket", "SiteBucket"])
def test_buckets_are_private_encrypted_versioned_and_tls_only(bucket: str) -> None:
    p = props(bucket)
    (rule,) = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    for public in ("AccessControl", "WebsiteConfiguration", "CorsConfiguration"):
        assert public not in p
    policy = bucket_policy(bucket)
    arn = {"Fn::GetAtt": [bucket, "Arn"]}
    assert {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    } in policy
    # Nobody at all is let in by the bucket policy
    for statement in policy:
        if statement["Effect"] == "Allow":
            assert statement["Principal"] not in ("*", {"AWS": "*"}), statement


def test_only_this_distribution_reads_the_site_bucket() -> None:
    allows = [s for s in bucket_policy("SiteBucket") if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "CloudFrontReadsTheSite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                        ":distribution/${Distribution}"
                    }
                }
            },
        }
    ]


def test_the_data_bucket_outlives_its_stack_and_lets_no_one_in() -> None:
    data = resource("DataBucket")
    assert (data["DeletionPolicy"], data["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert [s for s in bucket_policy("DataBucket") if s["Effect"] == "Allow"] == []


def lifecycle_rules(bucket: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = props(bucket)["LifecycleConfiguration"]["Rules"]
    return rules


def test_data_lifecycle_aborts_uploads_expires_old_versions_and_keeps_or_retains() -> None:
    abort, noncurrent, proofs, retention = lifecycle_rules("DataBucket")
    # Incomplete multipart uploads (abandoned evidence parts) end after a day
    assert abort == {
        "Id": "abort-incomplete-uploads",
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    # Versions only become noncurrent through retention or an admin's deletion
    assert noncurrent["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert noncurrent["Status"] == "Enabled"
    # Spent proofs' markers go after a day, long after their challenges expired (10 minutes)
    assert proofs == {
        "Id": "expire-spent-proofs",
        "Status": "Enabled",
        "Prefix": "proofs/",
        "ExpirationInDays": 1,
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
    }
    assert LIFETIME_SECONDS < DAY
    # Current objects expire only when RetentionDays is not 0
    assert retention == {
        "Fn::If": [
            "HasRetention",
            {
                "Id": "retention",
                "Status": "Enabled",
                "ExpirationInDays": {"Ref": "RetentionDays"},
            },
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert template()["Conditions"]["HasRetention"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RetentionDays"}, 0]}]
    }
    assert template()["Parameters"]["RetentionDays"]["Default"] == 0


# --- who may do what -----------------------------------------------------------------------


def test_the_function_role_has_exactly_these_grants() -> None:
    data = "${DataBucket.Arn}"
    assert function_statements() == [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]},
        },
        {
            "Sid": "WriteCreateOnly",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": [
                {"Fn::Sub": f"{data}/{prefix}/*"}
                for prefix in ("reports", "mailboxes", "uploads", "attachments", "proofs")
            ],
        },
        {
            "Sid": "ReadVerifiersMessagesAndGrants",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [
                {"Fn::Sub": f"{data}/{prefix}/*"}
                for prefix in ("mailboxes", "uploads", "shares", "desks")
            ],
        },
        {
            "Sid": "ListCasePrefixes",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": ["DataBucket", "Arn"]},
            "Condition": {
                "StringLike": {
                    "s3:prefix": [
                        f"{prefix}/*"
                        for prefix in ("mailboxes", "uploads", "attachments", "shares", "desks")
                    ]
                }
            },
        },
        {
            "Sid": "CheckUploadedParts",
            "Effect": "Allow",
            "Action": "s3:ListMultipartUploadParts",
            "Resource": {"Fn::Sub": f"{data}/attachments/*"},
        },
        {
            "Sid": "LockWhatItWrites",
            "Effect": "Allow",
            "Action": "s3:PutObjectRetention",
            "Resource": [
                {"Fn::Sub": f"{data}/{prefix}/*"}
                for prefix in ("reports", "mailboxes", "uploads", "attachments")
            ],
        },
        {
            "Sid": "TagWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectTagging",
            "Resource": [
                {"Fn::Sub": f"{data}/{prefix}/*"}
                for prefix in ("reports", "mailboxes", "uploads", "attachments")
            ],
            "Condition": ONLY_A_NEW_OBJECTS_DESKS_TAG,
        },
        {
            "Sid": "NotifyInspectors",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Ref": "Topic"},
        },
        {
            "Sid": "ReadProofSecret",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                ":parameter${ProofSecretParameter}"
            },
        },
    ]
    role = props("FunctionRole")
    assert "ManagedPolicyArns" not in role  # not even AWSLambdaBasicExecutionRole (logs:*)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_no_policy_grants_a_wildcard_action_or_resource_or_any_deletion() -> None:
    documents = [props("InspectorPolicy")["PolicyDocument"]]
    documents += [p["PolicyDocument"] for p in props("FunctionRole")["Policies"]]
    documents += [desks.policy_resource(d)["Properties"]["PolicyDocument"] for d in DESKS]
    for document in documents:
        for statement in statements(document):
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                assert "*" not in action and "Delete" not in action, action
                assert action not in ("s3:AbortMultipartUpload", "s3:PutBucketPolicy"), action
            for arn in as_list(statement["Resource"]):
                text = json.dumps(arn)
                assert text != '"*"', statement
                # a wildcard only ends a prefix: ".../reports/*", never ".../*"
                assert not re.search(r"Arn}/\*", text), statement


# An inspectorate message's key, every character of its case id, time and digest a "?"
# (which IAM matches to exactly one character): the key's length and its "-inspectorate-"
# are fixed where layout.py puts them.
ANY_INSPECTORATE_MESSAGE = (
    layout.mailbox("?" * 16)
    + "?" * len(datetime.datetime(2026, 1, 1).strftime(layout.STAMP))
    + layout.message_ending("inspectorate", "?" * 8)
)


def test_inspectors_of_every_desk_read_everything_and_write_only_their_own_kinds() -> None:
    data = "${DataBucket.Arn}"
    # not uploads/: no need
    prefixes = ("reports", "mailboxes", "attachments", "notes", "shares", "desks")
    writes = [ANY_INSPECTORATE_MESSAGE, "notes/*", "shares/*"]
    assert statements(props("InspectorPolicy")["PolicyDocument"]) == [
        {
            "Sid": "ReadCiphertext",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [{"Fn::Sub": f"{data}/{p}/*"} for p in prefixes],
        },
        {
            "Sid": "ListCiphertext",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": ["DataBucket", "Arn"]},
            "Condition": {"StringLike": {"s3:prefix": [f"{p}/*" for p in prefixes]}},
        },
        {
            "Sid": "WriteRepliesNotesAndGrants",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": [{"Fn::Sub": f"{data}/{key}"} for key in [*writes, "desks/*"]],
        },
        {
            "Sid": "TagWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectTagging",
            "Resource": [{"Fn::Sub": f"{data}/{key}"} for key in writes],
            "Condition": ONLY_A_NEW_OBJECTS_DESKS_TAG,
        },
        {
            "Sid": "LockWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectRetention",
            "Resource": [{"Fn::Sub": f"{data}/{key}"} for key in [*writes, "desks/*"]],
        },
        desks.REMIND_STATEMENT,
    ]
    # The desks' own policies create the same kinds of objects
    assert desks.REPLY == ANY_INSPECTORATE_MESSAGE
    assert tuple(writes) == desks.INSPECTOR_WRITES


def test_the_function_role_names_no_notes_prefix() -> None:
    # Internal notes are the inspectors' alone: no grant of the public functions mentions
    # notes/, so no bug in the API can list, read or write one (the evaluator below checks
    # the requests themselves).
    assert "notes/" not in json.dumps(function_statements())


# --- a small evaluator of the template's IAM, and the API's real calls ----------------------

BUCKET = "wbs-data-test"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:wbs-topic"
ARNS = {
    ("DataBucket", "Arn"): f"arn:aws:s3:::{BUCKET}",
    ("FunctionLogGroup", "Arn"): f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/x:*",
}
PARAMETER = "/wbs/wbs-test/pow-secret"
REFS = {
    "DataBucket": BUCKET,
    "Topic": TOPIC,
    "ProofSecretParameter": PARAMETER,
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": "123456789012",
}


def resolve(value: Any) -> str:
    """The few intrinsic functions the policies use, with test names for the resources."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return REFS[value["Ref"]]
    if "Fn::GetAtt" in value:
        resource_name, attribute = value["Fn::GetAtt"]
        return ARNS[(resource_name, attribute)]

    def sub(match: re.Match[str]) -> str:
        name, _, attribute = match.group(1).partition(".")
        return ARNS[(name, attribute)] if attribute else REFS[name]

    return re.sub(r"\$\{([^}]+)\}", sub, value["Fn::Sub"])


@dataclass(frozen=True)
class Request:
    """One authorised request: an IAM action on a resource, with its condition keys (a
    multivalued key, s3:RequestObjectTagKeys, holds a tuple)."""

    action: str
    resource: str
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


def obj(key: str) -> str:
    return f"arn:aws:s3:::{BUCKET}/{key}"


def parameter_arn(name: str) -> str:
    return f"arn:aws:ssm:{REGION}:123456789012:parameter{name}"


def listing(prefix: str) -> Request:
    return Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": prefix})


def creation(key: str, if_none_match: bool, creates: bool = True) -> Request:
    context = {"s3:ObjectCreationOperation": str(creates).lower()}
    if if_none_match:
        context["s3:if-none-match"] = "*"
    return Request("s3:PutObject", obj(key), context)


def matches(statement: dict[str, Any], request: Request) -> bool:
    if not any(fnmatchcase(request.action, a) for a in as_list(statement["Action"])):
        return False
    if not any(fnmatchcase(request.resource, resolve(r)) for r in as_list(statement["Resource"])):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            values = [resolve(v) for v in as_list(wanted)]
            value = request.context.get(key)
            if operator == "ForAllValues:StringEquals":
                # IAM: true when the key is absent, or when every one of its values is listed
                listed = value if isinstance(value, tuple) else (value,)
                ok = value is None or all(v in values for v in listed)
                if not ok:
                    return False
                continue
            assert not isinstance(value, tuple), f"{key} takes ForAllValues or ForAnyValue"
            if operator == "StringLike":
                ok = value is not None and any(fnmatchcase(value, v) for v in values)
            elif operator == "StringEquals":
                ok = value in values
            elif operator == "Null":
                ok = (value is None) == (values == ["true"])
            elif operator == "Bool":
                ok = value in values
            else:
                pytest.fail(f"the evaluator does not know the {operator} condition")
            if not ok:
                return False
    return True


def allowed(identity_policy: list[dict[str, Any]], request: Request) -> bool:
    """Allowed by the identity policy and not denied by the data bucket's policy."""
    denials = [s for s in bucket_policy("DataBucket") if s["Effect"] == "Deny"]
    if request.resource.startswith("arn:aws:s3:") and any(matches(s, request) for s in denials):
        return False
    return any(matches(s, request) for s in identity_policy if s["Effect"] == "Allow")


# botocore operation -> (IAM action, whether the request names the object or the bucket,
# whether it creates an object for s3:ObjectCreationOperation)
OPERATIONS: dict[str, tuple[str, str, bool | None]] = {
    "PutObject": ("s3:PutObject", "object", True),
    "CompleteMultipartUpload": ("s3:PutObject", "object", True),
    "CreateMultipartUpload": ("s3:PutObject", "object", False),
    "UploadPart": ("s3:PutObject", "object", False),
    "GetObject": ("s3:GetObject", "object", None),
    "HeadObject": ("s3:GetObject", "object", None),
    "ListObjectsV2": ("s3:ListBucket", "bucket", None),
    "ListParts": ("s3:ListMultipartUploadParts", "object", None),
    "Publish": ("sns:Publish", "topic", None),
    "GetParameter": ("ssm:GetParameter", "parameter", None),
    "PutObjectRetention": ("s3:PutObjectRetention", "object", None),
}


def as_request(operation: str, params: dict[str, Any]) -> Request:
    """The request a call makes (one that sets tags makes two: ``requests_for``)."""
    return requests_for(operation, params)[0]


def no_tags(key: str) -> dict[str, str]:
    return {}


def requests_for(
    operation: str, params: dict[str, Any], tags_of: Callable[[str], dict[str, str]] = no_tags
) -> list[Request]:
    """The requests S3 authorises for one call. ``tags_of`` gives an existing object's tags,
    which a read is judged by (``s3:ExistingObjectTag/<key>``). A creation that sets tags
    (``Tagging``) is also an ``s3:PutObjectTagging`` of a new object: no tag exists yet."""
    if operation not in OPERATIONS:
        pytest.fail(f"the functions call {operation}: add it here and review the policy")
    action, target, creates = OPERATIONS[operation]
    if target == "topic":
        return [Request(action, params["TopicArn"])]
    if target == "parameter":
        return [Request(action, parameter_arn(params["Name"]))]
    if target == "bucket":
        return [listing(params.get("Prefix", ""))]
    if creates is not None:
        made = creation(params["Key"], "IfNoneMatch" in params, creates)
        # A creation with an Object Lock retention is also an s3:PutObjectRetention.
        locks = (
            [Request("s3:PutObjectRetention", made.resource)] if "ObjectLockMode" in params else []
        )
        tags = dict(parse_qsl(params.get("Tagging", ""), keep_blank_values=True))
        if not tags:
            return [made, *locks]
        asked: dict[str, str | tuple[str, ...]] = {"s3:RequestObjectTagKeys": tuple(tags)}
        asked |= {f"s3:RequestObjectTag/{k}": v for k, v in tags.items()}
        return [
            Request(made.action, made.resource, {**made.context, **asked}),
            Request("s3:PutObjectTagging", made.resource, asked),
            *locks,
        ]
    existing = {f"s3:ExistingObjectTag/{k}": v for k, v in tags_of(params["Key"]).items()}
    return [Request(action, obj(params["Key"]), existing)]


@dataclass
class Deployment:
    calls: list[tuple[str, dict[str, Any]]]
    put_part: Callable[[str, bytes], str]
    ring: Keyring  # the function's keyring: desks inspektorat and pimpinan


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    """The API configured as on Lambda (WBS_* variables), on moto, recording its calls; the
    data bucket with Object Lock, as with a mode given, so that the calls include the
    retentions (without, they are the same calls without them)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws():
        admin = boto3.session.Session(region_name=REGION)  # set-up calls: not recorded
        admin.client("s3").create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": REGION},
            ObjectLockEnabledForBucket=True,
        )
        monkeypatch.setenv("WBS_OBJECT_LOCK", "GOVERNANCE:30")
        topic = admin.client("sns").create_topic(Name="wbs-topic")["TopicArn"]
        assert topic == TOPIC
        # What wbs deploy makes (wbs/deploy/proof_secret.py), and the function's settings for it
        admin.client("ssm").put_parameter(
            Name=PARAMETER, Value="ab" * 32, Type="SecureString", Overwrite=False
        )
        monkeypatch.setenv("WBS_POW_SECRET_PARAMETER", PARAMETER)
        monkeypatch.setenv("WBS_POW_DIFFICULTY", "8")
        # Two desks, routed as the page routes (WBS_ROUTING, as on Lambda), and a member of
        # the central desk who may share a case with the escalation desk
        ring = write_desks(
            tmp_path / "keyring.json",
            {"inspektorat": [INSPECTOR.public_key], "pimpinan": [ESCALATION.public_key]},
            [MEMBER],
        )
        rules = routing.Routing(central="inspektorat", escalation="pimpinan")
        (tmp_path / "routing.json").write_text(json.dumps(rules.to_json()), encoding="utf-8")
        monkeypatch.setenv("WBS_STORAGE", f"s3://{BUCKET}")
        monkeypatch.setenv("WBS_KEYRING", str(tmp_path / "keyring.json"))
        monkeypatch.setenv("WBS_ROUTING", str(tmp_path / "routing.json"))
        monkeypatch.setenv(notify.TOPIC_VARIABLE, TOPIC)
        calls: list[tuple[str, dict[str, Any]]] = []

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls.append((model.name, dict(params)))

        boto3.setup_default_session(region_name=REGION)
        session = boto3.DEFAULT_SESSION
        assert session is not None
        session.events.register("before-parameter-build.s3", record)
        session.events.register("before-parameter-build.sns", record)
        session.events.register("before-parameter-build.ssm", record)
        notify.sns_client.cache_clear()
        api.configure()

        def put_part(url: str, data: bytes) -> str:
            # What CloudFront's /attachments/* route does with the page's same-origin URL
            response = requests.put(f"https://{BUCKET}.s3.amazonaws.com{url}", data, timeout=30)
            assert response.status_code == 200, response.text
            return str(response.headers["ETag"])

        yield Deployment(calls, put_part, ring)
        api.configure()
        notify.sns_client.cache_clear()


INSPECTOR = identity(1)  # the central desk's key (inspektorat)
REPORTER = identity(3)
ESCALATION = identity(4)  # the escalation desk's key (pimpinan)
MEMBER = identity(5)  # a person, member of the central desk
PROVEN = {"/api/reports": "report", "/api/mailbox": "followup"}  # routes that take a proof
FILE_ID = "0123456789ABCDEF"


def call(path: str, body: str, token: bytes, method: str = "POST") -> dict[str, Any]:
    event = post_event(body, authorization=bearer(token), path=path)
    if method == "GET":
        event["requestContext"]["http"]["method"] = "GET"
        event["body"] = None
    elif path in PROVEN:
        with_proof(event, PROVEN[path])
    response = api.lambda_handler(event, LambdaContext())
    assert response["statusCode"] in (200, 201), response
    answer: dict[str, Any] = json.loads(response["body"])
    return answer


def unused_grants(policy: list[dict[str, Any]], made: list[Request]) -> list[tuple[Any, ...]]:
    """Each grant of ``policy`` (one action, one resource, one listed prefix) that none of
    the requests ``made`` uses."""
    unused = []
    for statement in policy:
        for action in as_list(statement["Action"]):
            for arn in as_list(statement["Resource"]):
                prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                for prefix in as_list(prefixes) if prefixes else [None]:
                    narrowed = {"Action": action, "Resource": arn}
                    if prefix is not None:
                        narrowed["Condition"] = {"StringLike": {"s3:prefix": prefix}}
                    if not any(matches(narrowed, request) for request in made):
                        unused.append((statement["Sid"], action, resolve(arn), prefix))
    return unused


# Issue 14: the grants that serve `wbs desks` (add-member writes a membership grant under
# desks/, share a case grant under shares/, tagged), and the reads of stored grants, which
# this test's single-desk institution does not make: it runs `wbs inbox` only. When it runs
# `wbs desks add-member` and `wbs desks share` too, this set empties, and goes.
AWAITING_THE_TOOLS_DESKS = [
    ("ReadCiphertext", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/shares/*", None),
    ("ReadCiphertext", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/desks/*", None),
    ("WriteRepliesNotesAndGrants", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/shares/*", None),
    ("WriteRepliesNotesAndGrants", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/desks/*", None),
    ("TagWhatItCreates", "s3:PutObjectTagging", f"arn:aws:s3:::{BUCKET}/shares/*", None),
    ("LockWhatItCreates", "s3:PutObjectRetention", f"arn:aws:s3:::{BUCKET}/shares/*", None),
    ("LockWhatItCreates", "s3:PutObjectRetention", f"arn:aws:s3:::{BUCKET}/desks/*", None),
]


def share_aside(deployment: Deployment, case: str) -> None:
    """MEMBER, made a member of the central desk by the recovery key, shares ``case`` with the
    escalation desk, as the inspector's tool stores it (written aside: not recorded)."""
    admin = S3Storage(BUCKET, client=boto3.session.Session(region_name=REGION).client("s3"))
    ring = deployment.ring
    admin.put_new(
        *grants.desk_grant(
            ring.desk("inspektorat"), INSPECTOR.private_key, MEMBER.kid, MEMBER.public_key,
            RECOVERY,
        )
    )  # fmt: skip
    payload = grants.case_keys("eskalasi", {bytes(24): bytes(32)})
    name, data = grants.case_grant(case, ring.desk("pimpinan"), payload, MEMBER)
    admin.put_new(name, data, desks=("inspektorat", "pimpinan"))


def run_every_route(deployment: Deployment) -> str:
    """A report, its mailbox read and a follow-up, one evidence file granted, renewed,
    uploaded and completed: every call the public functions make. Between the report and
    the mailbox's first read, the case is shared with the escalation desk, so that the
    function reads the share and the membership grants it rests on. Returns the case id."""
    token = new_token()
    case = mailbox_token.report_id(token)
    call("/api/reports", envelope_json(sealed(b"laporan", [INSPECTOR.public_key], case)), token)
    share_aside(deployment, case)
    call("/api/mailbox", "", token, method="GET")
    keys = [INSPECTOR.public_key, ESCALATION.public_key, REPORTER.public_key]
    call("/api/mailbox", envelope_json(sealed(b"tambahan", keys, case, "followup")), token)
    size = stored_size(1000, 1024)
    body = json.dumps({"files": [{"id": FILE_ID, "size": size}]})
    (granted,) = call("/api/uploads", body, token)["files"]
    ref = json.dumps({"id": FILE_ID, "upload": granted["upload"]})
    (renewed,) = call("/api/uploads/renew", ref, token)["files"]
    (part,) = renewed["parts"]
    etag = deployment.put_part(part["url"], bytes(size))
    done = {"id": FILE_ID, "upload": granted["upload"], "parts": [{"number": 1, "etag": etag}]}
    call("/api/uploads/complete", json.dumps(done), token)
    return case


def proof_markers(_: Deployment) -> list[str]:
    """The names of the spent proofs' markers in the bucket (read aside: not recorded)."""
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="proofs/").get("Contents", [])
    return [item["Key"].removeprefix("proofs/") for item in listed]


def test_every_call_the_api_makes_is_allowed_and_every_grant_is_used(
    deployment: Deployment,
) -> None:
    # Given the API run through every route, with its S3 and SNS calls recorded
    run_every_route(deployment)
    made = [r for operation, params in deployment.calls for r in requests_for(operation, params)]
    assert {r.action for r in made} >= {
        "s3:PutObject",
        "s3:GetObject",
        "sns:Publish",
        "ssm:GetParameter",
    }
    assert {r.resource for r in made if r.action == "s3:PutObject"} >= {
        obj(f"proofs/{name}") for name in proof_markers(deployment)
    }
    # Then the function's policy allows each one, and the bucket's policy denies none
    policy = function_statements()
    for request in made:
        assert allowed(policy, request), request
    # And each grant (action, resource, listed prefix) serves at least one real call (the
    # logs are written by the Lambda runtime, not by our code)
    unused = unused_grants([s for s in policy if s["Sid"] != "Logs"], made)
    assert unused == []


def test_the_function_may_list_every_key_and_prefix_it_reads(deployment: Deployment) -> None:
    # S3 answers a read of a missing key 404 only to a caller that may list it (else 403
    # AccessDenied), and the storage asks a listing of the key after a 403
    # (functions/storage/s3.py): a mistyped receipt code must get "wrong code", not 503.
    policy = function_statements()
    # Given every route run: each key the function read, under its layout prefix
    run_every_route(deployment)
    read = {params["Key"] for operation, params in deployment.calls if operation == "GetObject"}
    assert any(key.endswith(layout.VERIFIER) for key in read)  # the mailbox's lock
    for key in read:
        assert key.startswith(layout.PREFIXES), key
        # Then the role may list that very key, as the storage asks after a 403
        assert allowed(policy, listing(key)), key
    # And every prefix of the layout whose objects the role may read, it may list there
    readable = [
        p for p in layout.PREFIXES if allowed(policy, Request("s3:GetObject", obj(p + "x")))
    ]
    assert {p for p in layout.PREFIXES for key in read if key.startswith(p)} <= set(readable)
    for prefix in readable:
        assert allowed(policy, listing(prefix + "x")), prefix
        assert allowed(policy, listing(prefix)), prefix


def test_every_object_of_a_case_the_function_creates_names_the_cases_desks(
    deployment: Deployment,
) -> None:
    # Given a report routed to the central desk, then shared with the escalation desk
    case = run_every_route(deployment)
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    tag_sets = {key: s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"] for key in listed}
    created = [
        (key, {t["Key"]: t["Value"] for t in found})
        for key, found in tag_sets.items()
        if not key.startswith((layout.PROOFS, layout.DESKS, layout.SHARES))  # not the function's
    ]
    routed = {"wbs-desks": "/inspektorat/"}
    shared = {"wbs-desks": "/inspektorat/pimpinan/"}
    # Then what came before the share names the report's desks: the report and its verifier
    # And what came after names the escalation desk too: whoever a follow-up is sealed to
    # fetches it, and the evidence files its sealed keys open
    assert dict(created) == {
        layout.report(case): routed,
        layout.verifier(case): routed,
        **{key: shared for key, _ in created if layout.is_message(key)},
        layout.followup_slot(case, 1): shared,
        layout.upload_slot(case, 1): shared,
        layout.upload_record(case, FILE_ID): shared,
        layout.attachment(case, FILE_ID): shared,  # given with CreateMultipartUpload
    }
    assert sum(1 for key, _ in created if layout.is_message(key)) == 1
    # And the desks' policies fetch them so: the escalation desk reads the follow-up and the
    # evidence, not the report (until the admin opens it: wbs.deploy.share)
    escalation = desks.policy_resource("pimpinan")["Properties"]["PolicyDocument"]
    for key, tags in created:
        read = Request(
            "s3:GetObject", obj(key), {f"s3:ExistingObjectTag/{k}": v for k, v in tags.items()}
        )
        fetched = allowed(statements(escalation), read)
        assert fetched == (tags == shared and not key.startswith(layout.UPLOADS)), key


def test_the_function_reads_its_proof_key_once_per_cold_start(deployment: Deployment) -> None:
    # Given the function on moto, its key in SSM Parameter Store
    def reads() -> int:
        return sum(1 for operation, _ in deployment.calls if operation == "GetParameter")

    # When one instance answers two reports and a follow-up (each with a challenge first)
    run_every_route(deployment)
    token = new_token()
    case = mailbox_token.report_id(token)
    call("/api/reports", envelope_json(sealed(b"lagi", [INSPECTOR.public_key], case)), token)
    # Then it read the parameter once, decrypted, by the name the template gives it
    assert reads() == 1
    (params,) = [p for operation, p in deployment.calls if operation == "GetParameter"]
    assert params == {"Name": PARAMETER, "WithDecryption": True}
    assert len(proof_markers(deployment)) == 3  # one spent proof a stored request
    # And a new instance (a cold start: the handlers' wiring made afresh) reads it again
    api.configure()
    token = new_token()
    case = mailbox_token.report_id(token)
    call("/api/reports", envelope_json(sealed(b"baru", [INSPECTOR.public_key], case)), token)
    assert reads() == 2


NOTE = "notes/0123456789ABCDEF/20260101T000000000000Z-0123456789abcdef-0123abcd.json"
FORBIDDEN_TO_THE_FUNCTION = [
    Request("s3:GetObject", obj("reports/0123456789ABCDEF.json")),
    Request("s3:GetObject", obj("attachments/0123456789ABCDEF/FEDCBA9876543210")),
    Request("s3:DeleteObject", obj("mailboxes/0123456789ABCDEF/verifier.json")),
    Request("s3:DeleteObjectVersion", obj("reports/0123456789ABCDEF.json")),
    Request("s3:AbortMultipartUpload", obj("attachments/0123456789ABCDEF/FEDCBA9876543210")),
    Request("s3:PutBucketPolicy", f"arn:aws:s3:::{BUCKET}"),
    Request("s3:PutLifecycleConfiguration", f"arn:aws:s3:::{BUCKET}"),
    listing(""),
    listing("reports/"),
    creation("reports/0123456789ABCDEF.json", if_none_match=False),  # an overwrite
    creation("attachments/0123456789ABCDEF/FEDCBA9876543210", if_none_match=False),
    creation("elsewhere/x", if_none_match=True),
    Request("sns:Publish", TOPIC.replace("wbs-topic", "another-topic")),
    Request("sns:Subscribe", TOPIC),
    Request("s3:GetObject", obj("proofs/" + "0" * 64)),
    Request("s3:DeleteObject", obj("proofs/" + "0" * 64)),
    creation("proofs/" + "0" * 64, if_none_match=False),  # a marker overwritten: a replay
    Request("ssm:GetParameter", parameter_arn("/wbs/another-stack/pow-secret")),
    Request("ssm:PutParameter", parameter_arn(PARAMETER)),
    Request("ssm:GetParametersByPath", parameter_arn("/wbs")),
    Request("kms:Decrypt", f"arn:aws:kms:{REGION}:123456789012:alias/aws/ssm"),
    Request("s3:GetObject", obj(NOTE)),
    listing("notes/"),
    listing("notes/0123456789ABCDEF/"),
    creation(NOTE, if_none_match=True),
]


@pytest.mark.parametrize("request_", FORBIDDEN_TO_THE_FUNCTION, ids=repr)
def test_the_function_cannot_read_reports_or_evidence_delete_or_overwrite(
    request_: Request,
) -> None:
    assert not allowed(function_statements(), request_)


CASE = "0123456789ABCDEF"
ARRIVED = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
REPLY = layout.message(CASE, ARRIVED, "inspectorate", "0123abcd")
FOLLOWUP = layout.message(CASE, ARRIVED, "reporter", "0123abcd")
FOLLOWUP_NAME = FOLLOWUP.rpartition("/")[2]
INSPECTORS_MAY = [
    Request("s3:GetObject", obj(layout.report(CASE))),
    Request("s3:GetObject", obj(layout.attachment(CASE, FILE_ID))),
    Request("s3:GetObject", obj(layout.verifier(CASE))),
    listing("reports/"),
    listing("mailboxes/"),
    listing(layout.attachments(CASE)),
    creation(REPLY, True),
    Request("s3:GetObject", obj(NOTE)),
    listing("notes/"),
    creation(NOTE, True),
    Request("sns:Publish", TOPIC),  # wbs inbox remind --notify
]
INSPECTORS_MAY_NOT = [
    Request("sns:Publish", TOPIC.replace("wbs-topic", "another-topic")),
    Request("sns:Subscribe", TOPIC),
    Request("s3:DeleteObject", obj(NOTE)),
    Request("s3:DeleteObject", obj(layout.report(CASE))),
    Request("s3:DeleteObjectVersion", obj(layout.report(CASE))),
    creation(layout.verifier(CASE), if_none_match=False),
    creation(REPLY, if_none_match=False),  # a reply replaced
    listing(""),
    Request("s3:GetObject", obj(layout.upload_record(CASE, FILE_ID))),  # the tool never does
    listing(layout.UPLOADS),
]


def test_inspectors_read_and_reply_but_delete_and_overwrite_nothing() -> None:
    policy = statements(props("InspectorPolicy")["PolicyDocument"])
    assert [r for r in INSPECTORS_MAY if not allowed(policy, r)] == []
    assert [r for r in INSPECTORS_MAY_NOT if allowed(policy, r)] == []


def test_every_call_the_inspectors_tool_makes_is_allowed_and_every_grant_is_used(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a case in the bucket as the functions and the reporter's browser leave it: a
    # report that carries the reporter's key and lists one evidence file, the file, and a
    # follow-up (written aside: not recorded)
    use_private_home(tmp_path, monkeypatch)
    monkeypatch.setenv("WBS_STORAGE", f"s3://{BUCKET}")
    inspector = add_inspector_key()
    ring = make_keyring(tmp_path / "ring.json", [inspector.public_key])
    monkeypatch.setenv("WBS_KEYRING", str(ring))
    admin = S3Storage(BUCKET, client=boto3.session.Session(region_name=REGION).client("s3"))
    entry = upload(admin, CASE, FILE_ID, "foto.jpg", b"kuitansi")
    reporter_key = base64.b64encode(REPORTER.public_key).decode()
    put(admin, CASE, inspector, payload(attachments=[entry], reporter_public_key=reporter_key))
    keys = [inspector.public_key, REPORTER.public_key]
    post_followup(admin, CASE, "tambahan", ARRIVED, keys)
    deployment.calls.clear()
    # When an inspector syncs, reads, answers, moves, notes, lists and exports the case
    text = tmp_path / "text.txt"
    text.write_text("Terima kasih.", encoding="utf-8")
    for args in (
        ["sync"],
        ["show", CASE],
        ["reply", CASE, "--file", str(text)],
        ["status", CASE, "sedang-diverifikasi"],
        ["note", CASE, "--file", str(text)],
        ["files", CASE],
        ["export", CASE, "--to", str(tmp_path / "out")],
    ):
        result = wbs("inbox", *args)
        assert result.exit_code == 0, (args, result.output)
    # and sends the deadline reminder to the stack's topic (exit 4: a deadline was missed)
    monkeypatch.setenv("WBS_NOTIFY_TOPIC", TOPIC)
    result = wbs("inbox", "remind", "--notify", "--today", "2027-12-31")
    assert result.exit_code == 4, result.output
    made = [r for operation, params in deployment.calls for r in requests_for(operation, params)]
    # Then the inspectors' policy allows each call, and the bucket's policy denies none
    policy = statements(props("InspectorPolicy")["PolicyDocument"])
    assert [r for r in made if not allowed(policy, r)] == []
    # And each grant serves at least one real call, but those of desks (version 2), which
    # the tool does not make yet
    assert unused_grants(policy, made) == AWAITING_THE_TOOLS_DESKS


# Keys an inspector's credentials must not create, even create-only: what only the public
# functions or the reporter's browser write. S3 ARN wildcards cross "/", and the function
# names a message's sender by its name's last segment, so a deeper key counts too.
NOT_THE_INSPECTORS_TO_WRITE = {
    "a reporter's follow-up": FOLLOWUP,
    "a verifier that would open the mailbox": layout.verifier(CASE),
    "a follow-up one folder deeper": f"{layout.mailbox(CASE)}x-inspectorate-y/{FOLLOWUP_NAME}",
    "a report": layout.report(CASE),
    "an evidence file": layout.attachment(CASE, FILE_ID),
    "an upload grant": layout.upload_record(CASE, FILE_ID),
    "a spent proof": layout.proof("0" * 64),
}


@pytest.mark.parametrize(
    "key", NOT_THE_INSPECTORS_TO_WRITE.values(), ids=list(NOT_THE_INSPECTORS_TO_WRITE)
)
def test_inspectors_write_no_object_of_the_reporters_or_the_functions(key: str) -> None:
    policy = statements(props("InspectorPolicy")["PolicyDocument"])
    for operation in ("PutObject", "CreateMultipartUpload", "CompleteMultipartUpload"):
        request = as_request(operation, {"Key": key, "IfNoneMatch": "*"})
        assert not allowed(policy, request), request


def test_part_urls_are_signed_for_the_host_cloudfront_sends_them_to() -> None:
    # The /attachments/* origin is the data bucket's regional endpoint, and CloudFront does
    # not pass the viewer's Host: so the function must presign for that same host, or S3
    # finds another signature. (Jakarta opened after March 2019: S3's legacy global
    # endpoint does not route to its buckets.)
    (origin,) = [o for o in origins() if o["Id"] == "attachments"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["DataBucket", "RegionalDomainName"]}
    regional = f"{BUCKET}.s3.{REGION}.amazonaws.com"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            mp.setenv(name, "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        url = upload_client().generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": BUCKET,
                "Key": f"attachments/{FILE_ID}/{FILE_ID}",
                "UploadId": "u",
                "PartNumber": 1,
                "ContentLength": 5,
            },
        )
    assert urlsplit(url).hostname == regional


# --- CloudFront --------------------------------------------------------------------------------


def distribution() -> dict[str, Any]:
    config: dict[str, Any] = props("Distribution")["DistributionConfig"]
    return config


def origins() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = distribution()["Origins"]
    return found


def behaviors() -> dict[str, dict[str, Any]]:
    config = distribution()
    found = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    return {"default": config["DefaultCacheBehavior"], **found}


def header_policy() -> dict[str, str]:
    """The response headers policy as the header lines a browser receives."""
    config = props("SecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    for setting in security.values():
        assert setting["Override"] is True
    hsts = security["StrictTransportSecurity"]
    hsts_value = f"max-age={hsts['AccessControlMaxAgeSec']}"
    hsts_value += "; includeSubDomains" if hsts["IncludeSubdomains"] else ""
    hsts_value += "; preload" if hsts["Preload"] else ""
    assert set(security) == {
        "ContentSecurityPolicy",
        "ContentTypeOptions",
        "FrameOptions",
        "ReferrerPolicy",
        "StrictTransportSecurity",
    }
    headers = {
        "Content-Security-Policy": security["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        "Strict-Transport-Security": hsts_value,
    }
    for custom in config["CustomHeadersConfig"]["Items"]:
        assert custom["Override"] is True
        headers[custom["Header"]] = custom["Value"]
    return headers


def test_the_security_headers_are_functions_headers() -> None:
    # The same headers, value for value, as the local host sends (functions/headers.py)
    assert header_policy() == SECURITY_HEADERS
    assert header_policy()["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY.split("; ")
    # And every path answers with them: the page, the API and the part uploads
    for name, behavior in behaviors().items():
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}, name


def test_the_page_comes_from_the_private_bucket_through_origin_access_control() -> None:
    (site,) = [o for o in origins() if o["Id"] == "site"]
    assert site["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = props("SiteOriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")
    default = behaviors()["default"]
    assert (default["TargetOriginId"], default["ViewerProtocolPolicy"]) == (
        "site",
        "redirect-to-https",
    )
    assert default["AllowedMethods"] == ["GET", "HEAD"]


def test_the_api_gets_the_token_and_the_content_type_and_nothing_is_cached() -> None:
    api_route = behaviors()["/api/*"]
    (origin,) = [o for o in origins() if o["Id"] == api_route["TargetOriginId"]]
    assert origin["DomainName"] == {
        "Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.amazonaws.com"
    }
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api_route["ViewerProtocolPolicy"] == "https-only"
    assert {"POST", "GET"} <= set(api_route["AllowedMethods"])
    cache_policy = props("ApiCachePolicy")["CachePolicyConfig"]
    assert api_route["CachePolicyId"] == {"Ref": "ApiCachePolicy"}
    assert (cache_policy["MinTTL"], cache_policy["DefaultTTL"]) == (0, 0)
    key = cache_policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["Authorization"]}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert api_route["OriginRequestPolicyId"] == {"Ref": "ApiOriginRequestPolicy"}
    forwarded = props("ApiOriginRequestPolicy")["OriginRequestPolicyConfig"]
    assert forwarded["HeadersConfig"] == {
        "HeaderBehavior": "whitelist",
        # the proof of work (docs/spec/pow-v1.md), the reporter's key and signature
        # (docs/spec/signature-v2.md §5)
        "Headers": ["Content-Type", "Wbs-Proof", "Wbs-Signing-Key", "Wbs-Signature"],
    }
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}


def test_parts_go_to_the_data_bucket_with_their_own_signature() -> None:
    route = behaviors()["/attachments/*"]
    (origin,) = [o for o in origins() if o["Id"] == route["TargetOriginId"]]
    # No origin access control or identity: CloudFront must not sign or re-sign
    assert "OriginAccessControlId" not in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert "OriginPath" not in origin  # WBS_STORAGE has no prefix in this deployment
    assert "PUT" in route["AllowedMethods"]
    assert route["ViewerProtocolPolicy"] == "https-only"
    assert route["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    forwarded = props("AttachmentsOriginRequestPolicy")["OriginRequestPolicyConfig"]
    assert route["OriginRequestPolicyId"] == {"Ref": "AttachmentsOriginRequestPolicy"}
    # Every query string (the signature), no viewer header (least of all Host), no cookie
    assert forwarded["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert forwarded["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}


def test_a_custom_domain_gets_its_certificate_and_modern_tls() -> None:
    config = distribution()
    certificate, default = config["ViewerCertificate"]["Fn::If"][1:]
    assert config["ViewerCertificate"]["Fn::If"][0] == "HasCertificate"
    assert certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    assert {"DomainNeedsCertificate", "CertificateNeedsDomain"} <= set(template()["Rules"])


# --- throttling and logs -------------------------------------------------------------------------


def test_the_api_is_throttled_from_the_parameters() -> None:
    (stage,) = of_type("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottleRate"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottleBurst"}
    assert "RouteSettings" not in stage["Properties"]  # no route escapes the limits
    parameters = template()["Parameters"]
    assert (parameters["ThrottleRate"]["Default"], parameters["ThrottleBurst"]["Default"]) == (
        10,
        20,
    )
    (route,) = of_type("AWS::ApiGatewayV2::Route").values()
    assert route["Properties"]["RouteKey"] == "ANY /api/{proxy+}"


# Every key anywhere in the template that names a log, and what it may say
LOG_KEYS = {"LoggingConfig", "LogGroup", "LogFormat", "LogGroupName"}


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield path, key, inner
            yield from walk(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from walk(inner, f"{path}[{n}]")


def test_nothing_logs_a_reporters_ip_address() -> None:
    # No access log anywhere: CloudFront, API Gateway and S3 would each record the client's
    # address. Any setting whose name speaks of logging must be one reviewed here.
    for name, found in template()["Resources"].items():
        for path, key, _ in walk(found.get("Properties", {}), name):
            if re.search(r"log|trac|monitor|metric", key, re.IGNORECASE):
                assert key in LOG_KEYS | {"DetailedMetricsEnabled", "MetricName"}, f"{path}.{key}"
    assert "Logging" not in distribution()
    for bucket in of_type("AWS::S3::Bucket").values():
        assert "LoggingConfiguration" not in bucket["Properties"]
    (stage,) = of_type("AWS::ApiGatewayV2::Stage").values()
    assert "AccessLogSettings" not in stage["Properties"]
    assert stage["Properties"]["DefaultRouteSettings"]["DetailedMetricsEnabled"] is False
    # The function's own log: our allow-listed lines, kept for a limited time
    (group,) = of_type("AWS::Logs::LogGroup")
    assert 1 <= props(group)["RetentionInDays"] <= 90
    function = props("Function")
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": group}
    assert "TracingConfig" not in function  # X-Ray would keep request details as well
    variables = function["Environment"]["Variables"]
    for switch in ("POWERTOOLS_LOGGER_LOG_EVENT", "POWERTOOLS_DEV", "POWERTOOLS_LOG_LEVEL"):
        assert switch not in variables


def test_the_topic_says_only_that_a_report_arrived() -> None:
    # The topic's subscription is optional and e-mail only; what is published is
    # functions/notify.py's fixed text (tests/test_notify.py).
    (subscription,) = of_type("AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert template()["Parameters"]["NotifyEmail"]["Default"] == ""
