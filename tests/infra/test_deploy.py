"""`wbs deploy` against moto: packaging, the artifacts bucket, the stack through a change set,
the site upload, and a second run that finds nothing to do.

moto (5.2.5) is fed the real infra/template.yaml. Its CloudFormation creates the S3 buckets,
the SNS topic, the log group, the IAM role and managed policy, the Lambda function (from the
uploaded zip) and its permission. It skips, with a warning, every resource type it does not
implement: AWS::S3::BucketPolicy, AWS::SNS::Subscription, AWS::ApiGatewayV2::Api,
::Integration, ::Route and ::Stage, and AWS::CloudFront::CachePolicy, ::Distribution,
::Function, ::OriginAccessControl, ::OriginRequestPolicy and ::ResponseHeadersPolicy
(test_template.py checks those as a document; docs/deploy.md lists both sets, and a test
below keeps that list true). So the outputs that name CloudFront, SiteUrl and
DistributionId, come back missing, and the deploy says so. moto's Lambda also ignores
``Architectures`` (it reports x86_64).

Two moto gaps are filled by the ``aws`` fixture. moto ignores the conditions of bucket
policies, so the artifacts bucket's TLS-only Deny would refuse every request; the fixture
applies it as S3 does to HTTPS requests (not at all). And moto never resolves the Outputs of
a stack made or changed by a change set (it builds them once, from the empty template the
stack is created with); the fixture resolves them as CloudFormation does, leaving out each
output whose value names a resource moto did not create. moto cannot fail or roll back a
change set either, so the rollback path is tested against a scripted client with
CloudFormation's recorded events.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import socket
import tomllib
import wsgiref.util
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode
from click.testing import CliRunner, Result
from moto import mock_aws
from moto.cloudformation import models as cf_models
from moto.cloudformation import parsing as cf_parsing
from moto.cloudformation.exceptions import ValidationError
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3 import models as s3_models
from nacl.public import PrivateKey

from functions.config import Settings
from functions.host import make_app
from functions.keyring import Keyring, load_active
from functions.uploads import Limits
from tests.support.api import write_keyring
from tests.support.site import build_site
from wbs import build
from wbs.cli import cli
from wbs.config import Deployment
from wbs.deploy import deploy as infra_deploy
from wbs.deploy import desks, publish, stack
from wbs.deploy.package import Package, package
from wbs.deploy.publish import read_site

pytestmark = [
    pytest.mark.slow,  # whole deploys against moto's CloudFormation
    pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning"),
]

REGION = "ap-southeast-3"
ACCOUNT = "123456789012"  # moto's
STACK = "wbs-test"
DEPLOYMENT = f"""
[deployment]
stack_name = "{STACK}"
region = "{REGION}"
notify_email = "inspektorat@example.go.id"
retention_days = 3650
"""


def institution_config(path: Path) -> Path:
    """The repository's site/config.toml with our [deployment] table and 12 files a case."""
    text = build.DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[deployment\].*?(?=^\[|\Z)", "", text)
    if "uploads" in tomllib.loads(text):
        text, found = re.subn(r"(?m)^max_files\s*=\s*\d+", "max_files = 12", text)
        assert found == 1
    else:
        text += "\n[uploads]\nmax_files = 12\n"
    path.write_text(text + DEPLOYMENT, encoding="utf-8")
    return path


def moto_outputs(self: cf_models.Stack) -> list[dict[str, Any]] | None:
    """The stack's outputs, resolved from its current template as CloudFormation does; an
    output that names a resource moto skipped is left out."""
    self._parse_template()
    resolved = cf_parsing.OutputMap(self.resource_map, self.template_dict, self.stack_id)
    found = []
    for key in resolved.outputs:
        try:
            output = resolved[key]
        except ValidationError:
            continue
        if output is not None and output.value is not None:
            found.append({"OutputKey": key, "OutputValue": output.value})
    return found or None


def moto_bucket_permission(self: s3_models.FakeBucket, action: str, resource: str) -> Any:
    """moto ignores the Condition of a bucket policy's statements (its put_bucket_policy says
    so): a TLS-only Deny would deny every request. Requests here are HTTPS, so such a
    statement does not apply, as on S3; the rest are evaluated by moto."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy)
    tls_only = {"Bool": {"aws:SecureTransport": "false"}}
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Condition") != tls_only]
    if not policy["Statement"]:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cf_models.Stack, "outputs", property(moto_outputs))
    monkeypatch.setattr(s3_models.FakeBucket, "get_permission", moto_bucket_permission)
    with mock_aws():
        yield


def new_keyring(path: Path) -> Path:
    """A keyring whose desk inspektorat has a new key (and the recovery key)."""
    return write_keyring(path, [bytes(PrivateKey.generate().public_key)])


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    """An institution's files: a keyring, a config with [deployment], a built site."""
    keyring = new_keyring(tmp_path / "keyring.json")
    config = institution_config(tmp_path / "config.toml")
    site = tmp_path / "site"
    build_site(keyring, site, config)
    return {"keyring": keyring, "config": config, "site": site, "root": tmp_path}


def run(project: dict[str, Path], *extra: str, answer: str | None = None) -> Result:
    args = ["deploy", "--config", str(project["config"]), "--keyring", str(project["keyring"])]
    return CliRunner().invoke(cli, [*args, "--site", str(project["site"]), *extra], input=answer)


def versions(bucket: str) -> int:
    s3 = boto3.client("s3", region_name=REGION)
    answer = s3.list_object_versions(Bucket=bucket)
    return len(answer.get("Versions", [])) + len(answer.get("DeleteMarkers", []))


def outputs() -> dict[str, str]:
    cf = boto3.client("cloudformation", region_name=REGION)
    described = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def test_first_deploy_creates_everything_and_a_second_changes_nothing(
    aws: None, project: dict[str, Path]
) -> None:
    # When the admin deploys for the first time
    first = run(project, "--yes")
    # Then the change set is shown, the stack is created and the site is uploaded
    assert first.exit_code == 0, first.output
    assert "Changes to stack wbs-test" in first.stdout
    for resource in ("DataBucket", "SiteBucket", "Function", "InspectorPolicy", "Distribution"):
        assert resource in first.stdout
    cf = boto3.client("cloudformation", region_name=REGION)
    described = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    made = outputs()
    assert set(made) == set(infra_deploy.OUTPUTS) - {"SiteUrl", "DistributionId"}
    assert "the stack has no output SiteUrl, DistributionId" in first.stderr
    assert made["Region"] == REGION

    # The functions zip is in the artifacts bucket under its hash, which the stack names
    s3 = boto3.client("s3", region_name=REGION)
    artifacts = f"wbs-artifacts-{ACCOUNT}-{REGION}"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert parameters["CodeBucket"] == artifacts
    stored = s3.get_object(Bucket=artifacts, Key=parameters["CodeKey"])["Body"].read()
    assert parameters["CodeKey"] == f"functions/{hashlib.sha256(stored).hexdigest()}.zip"
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        assert archive.read("keys/keyring.json") == project["keyring"].read_bytes()
    assert parameters["UploadMaxFiles"] == "12" and parameters["RetentionDays"] == "3650"
    assert parameters["NotifyEmail"] == "inspektorat@example.go.id"
    # ...a private, encrypted, versioned, TLS-only bucket
    assert s3.get_bucket_versioning(Bucket=artifacts)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=artifacts)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rules = s3.get_bucket_encryption(Bucket=artifacts)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=artifacts)["Policy"])
    assert policy["Statement"][0]["Effect"] == "Deny"
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    # The function runs the zip with the powertools handler (moto drops Architectures)
    function = boto3.client("lambda", region_name=REGION).get_function(
        FunctionName=made["FunctionName"]
    )["Configuration"]
    assert function["Handler"] == "functions.app.lambda_handler"
    assert function["Runtime"] == "python3.12"
    assert str(function["Environment"]["Variables"]["WBS_UPLOAD_MAX_FILES"]) == "12"
    assert function["CodeSha256"] == base64.b64encode(hashlib.sha256(stored).digest()).decode()

    # The site bucket holds exactly the built site (no hidden marker), with its headers
    site = read_site(project["site"], _ring(project))
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=made["SiteBucket"])["Contents"]}
    assert keys == {f.key for f in site.files} and ".wbs-site-build" not in keys
    for f in site.files:
        head = s3.head_object(Bucket=made["SiteBucket"], Key=f.key)
        body = s3.get_object(Bucket=made["SiteBucket"], Key=f.key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == f.sha256
        assert (head["ContentType"], head["CacheControl"]) == (f.content_type, f.cache_control)
    assert f"Site: {len(site.files)} files uploaded" in first.stdout

    # And the inspectors' settings are printed
    assert f"WBS_STORAGE=s3://{made['DataBucket']}" in first.stdout
    assert f"AWS_DEFAULT_REGION={REGION}" in first.stdout
    assert made["InspectorPolicyArn"] in first.stdout
    assert "own AWS credentials" in first.stdout
    # ...the subscription's confirmation with authentication, so that a notice's holder
    # cannot unsubscribe the inspectors, and the topic the alarms notify
    assert (
        f"aws sns confirm-subscription --region {REGION} --topic-arn {made['TopicArn']}"
        " --authenticate-on-unsubscribe true --token " in first.stdout
    )
    assert f"notify {made['TopicArn']}, without content" in first.stdout
    assert "No bill alarm: set deployment.bill_alarm_usd" in first.stdout
    # ...and that the default domain's certificate still takes TLS 1.0
    assert "wbs: warning: no deployment.domain" in first.stderr
    assert "TLSv1.2_2021" in first.stderr

    # When the admin runs it again with nothing changed
    site_versions, artifact_versions = versions(made["SiteBucket"]), versions(artifacts)
    second = run(project)  # no --yes: there is nothing to confirm
    # Then nothing is uploaded, the empty change set is gone, and the stack is as it was
    assert second.exit_code == 0, second.output
    assert "Nothing to deploy: the stack is up to date." in second.stdout
    assert f"Site: 0 files uploaded (0 B), {len(site.files)} unchanged, 0 removed." in (
        second.stdout
    )
    assert "Changes to stack" not in second.stdout
    assert versions(made["SiteBucket"]) == site_versions
    assert versions(artifacts) == artifact_versions
    # (CloudFormation forgets an executed change set; moto lists it, executed)
    left = cf.list_change_sets(StackName=STACK)["Summaries"]
    assert [c["ExecutionStatus"] for c in left] in ([], ["EXECUTE_COMPLETE"])
    assert cf.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def _ring(project: dict[str, Path]) -> Keyring:
    return load_active(project["keyring"])


DESKS = ("inspektorat", "kab-bandung", "pimpinan")


def test_each_desk_gets_its_policy_and_the_output_says_how_to_give_it(
    aws: None, project: dict[str, Path]
) -> None:
    # Given a config with three desks (added after the site was built: the site build does
    # not know [[desks]] yet)
    with project["config"].open("a", encoding="utf-8") as config:
        config.write("".join(f'\n[[desks]]\nid = "{desk}"\n' for desk in DESKS))
    # When the admin looks at the plan
    dry = CliRunner().invoke(
        cli,
        ["deploy", "--dry-run", "--config", str(project["config"]), "--keyring",
         str(project["keyring"]), "--site", str(project["site"])],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    # Then it names each desk and the policy the stack will make for it
    assert dry.exit_code == 0, dry.output
    assert "Read access, one IAM policy a desk" in dry.stdout
    for desk in DESKS:
        assert f"{desk} " in dry.stdout and desks.logical_id(desk) in dry.stdout
    assert "wbs-desks tag names the desk" in dry.stdout
    # When the admin deploys
    result = run(project, "--yes")
    # Then the stack holds one managed policy a desk, and the output gives each one's ARN
    assert result.exit_code == 0, result.output
    cf = boto3.client("cloudformation", region_name=REGION)
    summaries = cf.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    made = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    iam = boto3.client("iam", region_name=REGION)
    for desk in DESKS:
        arn = made[desks.logical_id(desk)]
        assert re.search(rf"(?m)^  {re.escape(desk)} +{re.escape(arn)}$", result.stdout), desk
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        text = json.dumps(document["PolicyVersion"]["Document"])
        assert f'"*/{desk}/*"' in text and f"desks/{desk}/*" in text
    # ...with the command that gives a member access, and the policy of every desk
    assert "aws iam attach-user-policy --user-name <member's IAM user>" in result.stdout
    assert "aws iam detach-user-policy" in result.stdout
    every = outputs()["InspectorPolicyArn"]
    assert f"Every desk (the recovery key's holders, nobody else): {every}" in result.stdout
    # ...as the admin's guide shows it (every line of its example but the elided ones)
    guide = (infra_deploy.TEMPLATE.parents[1] / "docs" / "deploy.md").read_text("utf-8")
    example = guide.split("read access:\n\n```\n")[1].split("```")[0].splitlines()
    shown = [line for line in example if line and "..." not in line and "https:" not in line]
    assert len(shown) >= 7
    assert [line for line in shown if line not in result.stdout.splitlines()] == []
    # When a desk leaves the config (its policy attached to nobody)
    text = project["config"].read_text(encoding="utf-8")
    project["config"].write_text(text.replace('[[desks]]\nid = "pimpinan"\n', ""), "utf-8")
    again = run(project, "--yes")
    # Then the change set removes its policy, and the others stay as they were
    assert again.exit_code == 0, again.output
    assert re.search(r"Remove +\S* *Deskpimpinan", again.stdout), again.stdout
    summaries = cf.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    left = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    assert desks.logical_id("pimpinan") not in left
    assert left[desks.logical_id("inspektorat")] == made[desks.logical_id("inspektorat")]
    assert "pimpinan" not in again.stdout.split("Read access")[1]


def test_without_desks_every_inspector_gets_the_policy_of_every_desk(
    aws: None, project: dict[str, Path]
) -> None:
    result = run(project, "--yes")
    assert result.exit_code == 0, result.output
    every = outputs()["InspectorPolicyArn"]
    assert (
        f"Attach the policy {every} to each inspector's IAM user: it reads every case"
        in result.stdout
    )
    assert "Read access, one IAM policy a desk" not in result.stdout


def test_a_changed_site_uploads_what_changed_and_removes_what_is_gone(
    aws: None, project: dict[str, Path]
) -> None:
    # Given a deployed site, and an object the new site does not have
    assert run(project, "--yes").exit_code == 0
    bucket = outputs()["SiteBucket"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=bucket, Key="old/page.html", Body=b"<p>old</p>")
    # When the site is rebuilt with another institution name and deployed
    config = project["config"].read_text(encoding="utf-8")
    name = tomllib.loads(config)["institution"]["name"]
    renamed = config.replace(f'name = "{name}"', f'name = "{name} Baru"', 1)
    assert renamed != config
    project["config"].write_text(renamed, "utf-8")
    build_site(project["keyring"], project["site"], project["config"])
    again = run(project)
    # Then only the pages and the manifest are sent, and the stale object is removed
    assert again.exit_code == 0, again.output
    pages = sorted(str(p.relative_to(project["site"])) for p in project["site"].rglob("*.html"))
    assert f"Site: {len(pages) + 1} files uploaded" in again.stdout
    assert "1 removed" in again.stdout
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "old/page.html" not in keys
    index = s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()
    assert f"{name} Baru".encode() in index


def test_new_code_updates_the_stack(aws: None, project: dict[str, Path]) -> None:
    # Given a deployed stack
    assert run(project, "--yes").exit_code == 0
    cf = boto3.client("cloudformation", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    artifacts = f"wbs-artifacts-{ACCOUNT}-{REGION}"
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=artifacts)["Contents"]}
    # When a key is added (a new keyring: a new zip, and a site built for it)
    new_keyring(project["keyring"])
    build_site(project["keyring"], project["site"], project["config"])
    again = run(project, "--yes")
    # Then the zip goes up under its new hash and the function runs it
    assert again.exit_code == 0, again.output
    assert "Nothing to deploy" not in again.stdout
    described = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    assert described["StackStatus"] == "UPDATE_COMPLETE"
    (new_key,) = {o["Key"] for o in s3.list_objects_v2(Bucket=artifacts)["Contents"]} - before
    name = outputs()["FunctionName"]
    function = boto3.client("lambda", region_name=REGION).get_function(FunctionName=name)
    digest = hashlib.sha256(s3.get_object(Bucket=artifacts, Key=new_key)["Body"].read()).digest()
    assert function["Configuration"]["CodeSha256"] == base64.b64encode(digest).decode()


def test_declining_the_change_set_changes_nothing(aws: None, project: dict[str, Path]) -> None:
    result = run(project, answer="n\n")
    assert result.exit_code == 0, result.output
    assert "Execute these changes?" in result.stderr
    assert "Nothing deployed: the change set was deleted." in result.stdout
    cf = boto3.client("cloudformation", region_name=REGION)
    # The stack CloudFormation made to hold the change set is deleted with it.
    assert stack.status(cf, STACK) is None


def test_no_answer_leaves_no_change_set(aws: None, project: dict[str, Path]) -> None:
    result = run(project)  # no terminal, no input, no --yes
    assert result.exit_code == 1
    assert "wbs: error: not confirmed: the change set was not executed" in result.stderr
    assert "hint: answer y on a terminal, or pass --yes" in result.stderr
    cf = boto3.client("cloudformation", region_name=REGION)
    assert stack.status(cf, STACK) is None


def test_a_site_built_for_other_keys_is_refused(aws: None, project: dict[str, Path]) -> None:
    new_keyring(project["keyring"])  # the site was built for the previous keyring
    result = run(project, "--yes")
    assert result.exit_code == 1
    assert "encrypts to other keys than the keyring's active ones" in result.stderr
    assert "hint: rebuild the site with the same --keyring" in result.stderr
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.list_buckets()["Buckets"] == []  # refused before AWS was asked anything


def test_a_large_template_goes_by_url(
    aws: None, project: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(infra_deploy, "TEMPLATE_BODY_LIMIT", 1000)
    result = run(project, "--yes")
    assert result.exit_code == 0, result.output
    s3 = boto3.client("s3", region_name=REGION)
    listed = s3.list_objects_v2(Bucket=f"wbs-artifacts-{ACCOUNT}-{REGION}", Prefix="templates/")
    body = infra_deploy.TEMPLATE.read_bytes()
    assert [o["Key"] for o in listed["Contents"]] == [
        f"templates/{hashlib.sha256(body).hexdigest()}.yaml"
    ]


def test_dry_run_builds_and_shows_the_plan_without_aws(
    project: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no credentials, an unreachable AWS, and any boto3 session refused outright
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project["root"] / "absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project["root"] / "absent"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port()}")

    def no_aws(*args: object, **kwargs: object) -> None:
        raise AssertionError("the dry run created a boto3 session")

    monkeypatch.setattr(boto3.session.Session, "__init__", no_aws)
    # And no --site: the command builds the site itself (into a temporary dist/site here)
    out = project["root"] / "dist" / "site"
    monkeypatch.setattr("wbs.paths.DEFAULT_SITE_OUT", out)
    shutil.rmtree(project["site"])
    args = ["deploy", "--dry-run", "--config", str(project["config"])]
    result = CliRunner().invoke(
        cli, [*args, "--keyring", str(project["keyring"])], env={"COLUMNS": "200"}
    )
    # Then the plan is shown: the zip's hash, every parameter, every file with its headers
    assert result.exit_code == 0, result.output
    zipped = package(project["keyring"], routing=out / "routing.json")  # the built site's
    assert f"sha256 {zipped.sha256}" in result.stdout
    assert zipped.key in result.stdout
    assert "Dry run: nothing was sent to AWS. Stack wbs-test in ap-southeast-3." in result.stdout
    for parameter in ("CodeBucket", "UploadMaxFiles", "RetentionDays", "CertificateArn"):
        assert parameter in result.stdout
    # ...the proof-of-work key's name, which a real run makes in SSM (this one made nothing)
    assert "ProofSecretParameter" in result.stdout and "/wbs/wbs-test/pow-secret" in result.stdout
    assert f"wbs-artifacts-<account id>-{REGION}" in result.stdout
    assert "assets/js/vendor/libsodium-sumo.mjs" in result.stdout
    assert "text/javascript; charset=utf-8" in result.stdout
    # ...and the site was built from the same config file: its pages take 12 files a case
    assert 'data-max-files="12"' in (out / "index.html").read_text(encoding="utf-8")


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_parameters_and_outputs_are_the_templates() -> None:
    template, problems = decode(str(infra_deploy.TEMPLATE))
    assert not problems and template is not None
    plan = infra_deploy.Plan(
        Deployment("wbs"), Limits(), Package(b"", "0" * 64, 0), publish.Site(Path("."), ()), ""
    )
    assert set(plan.parameters("bucket")) == set(template["Parameters"])
    assert set(template["Outputs"]) == set(infra_deploy.OUTPUTS)


def test_the_guide_lists_what_moto_creates_and_skips() -> None:
    """docs/deploy.md names, for the current template, the resource types moto's
    CloudFormation creates and those it skips."""
    template, _ = decode(str(infra_deploy.TEMPLATE))
    assert template is not None
    types = {r["Type"] for r in template["Resources"].values()}
    created = {t for t in types if cf_parsing.resource_class_from_type(t)}
    guide = (infra_deploy.TEMPLATE.parents[1] / "docs" / "deploy.md").read_text("utf-8")
    creates = guide.split("creates these resources of the template:")[1].split("\n\n")[0]
    skips = guide.split("It skips, with a warning, these:")[1].split("\n\n")[0]
    assert set(re.findall(r"`(AWS::[A-Za-z0-9:]+)`", creates)) == created
    assert set(re.findall(r"`(AWS::[A-Za-z0-9:]+)`", skips)) == types - created


def test_headers_are_the_local_hosts(project: dict[str, Path], tmp_path: Path) -> None:
    """The deployment answers each file with the Content-Type and Cache-Control the local
    host (functions/host.py) gives it."""
    settings = Settings(f"local:{tmp_path / 'storage'}", project["keyring"], home=tmp_path)
    app = make_app(project["site"], settings)
    site = read_site(project["site"], _ring(project))
    answers: list[tuple[str, dict[str, str]]] = []
    for f in site.files:
        environ: dict[str, Any] = {"PATH_INFO": "/" + f.key, "REQUEST_METHOD": "GET"}
        wsgiref.util.setup_testing_defaults(environ)
        body = app(environ, lambda status, headers, *_: answers.append((status, dict(headers))))
        b"".join(body)  # type: ignore[arg-type]
        status, headers = answers[-1]
        assert status.startswith("200"), (f.key, status)
        assert (headers["Content-Type"], headers["Cache-Control"]) == (
            f.content_type,
            f.cache_control,
        ), f.key


# -- a failed change, on a scripted CloudFormation ------------------------------------------

# Recorded from CloudFormation (ids shortened): an update whose function code was missing.
FAILED_UPDATE_EVENTS = [
    {"EventId": "e9", "LogicalResourceId": STACK, "ResourceType": "AWS::CloudFormation::Stack",
     "ResourceStatus": "UPDATE_ROLLBACK_COMPLETE"},
    {"EventId": "e8", "LogicalResourceId": "Function", "ResourceType": "AWS::Lambda::Function",
     "ResourceStatus": "UPDATE_COMPLETE"},
    {"EventId": "e7", "LogicalResourceId": STACK, "ResourceType": "AWS::CloudFormation::Stack",
     "ResourceStatus": "UPDATE_ROLLBACK_IN_PROGRESS",
     "ResourceStatusReason": "The following resource(s) failed to update: [Function]. "},
    {"EventId": "e6", "LogicalResourceId": "Topic", "ResourceType": "AWS::SNS::Topic",
     "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": "Resource update cancelled"},
    {"EventId": "e5", "LogicalResourceId": "Function", "ResourceType": "AWS::Lambda::Function",
     "ResourceStatus": "UPDATE_FAILED",
     "ResourceStatusReason": "Resource handler returned message: \"Error occurred while "
     "GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not "
     "exist.\" (RequestToken: 1a2b, HandlerErrorCode: InvalidRequest)"},
    {"EventId": "e4", "LogicalResourceId": "Function", "ResourceType": "AWS::Lambda::Function",
     "ResourceStatus": "UPDATE_IN_PROGRESS"},
    {"EventId": "e3", "LogicalResourceId": STACK, "ResourceType": "AWS::CloudFormation::Stack",
     "ResourceStatus": "UPDATE_IN_PROGRESS", "ResourceStatusReason": "User Initiated"},
    {"EventId": "e2", "LogicalResourceId": STACK, "ResourceType": "AWS::CloudFormation::Stack",
     "ResourceStatus": "CREATE_COMPLETE"},
]  # fmt: skip


class ScriptedCloudFormation:
    """describe_stacks and describe_stack_events as CloudFormation answers them while an
    update fails and rolls back: one status and a few more events per poll."""

    def __init__(self, script: list[tuple[list[dict[str, str]], str]] | None = None) -> None:
        self.polls = 0
        self.executed: list[str] = []
        # events visible at each poll (newest first), and the stack's status then
        self.script = (
            script
            or [
                (FAILED_UPDATE_EVENTS[-1:], "UPDATE_COMPLETE"),  # before execution
                (FAILED_UPDATE_EVENTS[-4:], "UPDATE_IN_PROGRESS"),
                (FAILED_UPDATE_EVENTS[-7:], "UPDATE_ROLLBACK_IN_PROGRESS"),
                (FAILED_UPDATE_EVENTS, "UPDATE_ROLLBACK_COMPLETE"),
            ]
        )

    def _now(self) -> tuple[list[dict[str, str]], str]:
        return self.script[min(self.polls, len(self.script) - 1)]

    def execute_change_set(self, ChangeSetName: str) -> None:
        self.executed.append(ChangeSetName)
        self.polls = 1

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "StackStatus": self._now()[1]}]}

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_stack_events"
        events = self._now()[0]
        # Two pages, as CloudFormation pages long histories.
        pages = [{"StackEvents": events[:2]}, {"StackEvents": events[2:]}]
        return type("P", (), {"paginate": lambda _self, StackName: iter(pages)})()


def test_a_failed_update_is_rolled_back_and_says_why() -> None:
    cf = ScriptedCloudFormation()
    cs = stack.ChangeSet("arn:change-set", STACK, False, ())
    seen: list[stack.Event] = []

    def sleep(seconds: float) -> None:
        cf.polls += 1

    with pytest.raises(stack.StackError) as caught:
        stack.execute(cf, cs, seen.append, poll=0, sleep=sleep)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("the update failed and was rolled back: Function")
    assert "S3 Error Code: NoSuchKey" in message and "cancelled" not in message
    assert "the stack is as it was before" in (caught.value.hint or "")
    assert cf.executed == ["arn:change-set"]
    # Every event after the execution was reported once, oldest first; none before it.
    assert [e.id for e in seen] == ["e3", "e4", "e5", "e6", "e7", "e8", "e9"]


def test_the_wait_outlasts_the_status_from_before_the_execution() -> None:
    # Given an update whose stack still shows its old UPDATE_COMPLETE just after execution
    old = {"EventId": "o1", "LogicalResourceId": STACK, "ResourceStatus": "UPDATE_COMPLETE"}
    start = {"EventId": "n1", "LogicalResourceId": STACK, "ResourceStatus": "UPDATE_IN_PROGRESS"}
    done = {"EventId": "n2", "LogicalResourceId": STACK, "ResourceStatus": "UPDATE_COMPLETE"}
    cf = ScriptedCloudFormation(
        [
            ([old], "UPDATE_COMPLETE"),  # before execution
            ([old], "UPDATE_COMPLETE"),  # just after: nothing has moved yet
            ([start, old], "UPDATE_IN_PROGRESS"),
            ([done, start, old], "UPDATE_COMPLETE"),
        ]
    )
    seen: list[stack.Event] = []

    def sleep(seconds: float) -> None:
        cf.polls += 1

    # When the command waits, Then it waits for the update's own end
    stack.execute(cf, stack.ChangeSet("cs", STACK, False, ()), seen.append, poll=0, sleep=sleep)  # type: ignore[arg-type]
    assert [e.id for e in seen] == ["n1", "n2"]


def test_first_failure_prefers_a_cause_to_a_cancellation() -> None:
    events = [stack.event(e) for e in reversed(FAILED_UPDATE_EVENTS)]
    assert (stack.first_failure(events) or "").startswith("Function (AWS::Lambda::Function):")
    cancelled = [e for e in events if e.logical_id == "Topic"]
    assert stack.first_failure(cancelled) == ("Topic (AWS::SNS::Topic): Resource update cancelled")
    assert stack.first_failure([e for e in events if not e.status.endswith("FAILED")]) is None


@pytest.mark.parametrize(
    ("current", "expected"),
    [(None, "CREATE"), ("REVIEW_IN_PROGRESS", "CREATE"), ("CREATE_COMPLETE", "UPDATE"),
     ("UPDATE_ROLLBACK_COMPLETE", "UPDATE")],
)  # fmt: skip
def test_change_type(current: str | None, expected: str) -> None:
    assert stack.change_type(STACK, REGION, current) == expected


@pytest.mark.parametrize(
    ("current", "hint"),
    [
        ("ROLLBACK_COMPLETE", "aws cloudformation delete-stack --stack-name wbs-test"),
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback"),
        ("UPDATE_IN_PROGRESS", "wait for it to end"),
        ("DELETE_FAILED", "docs/deploy.md"),
    ],
)
def test_stacks_that_cannot_take_a_change_say_what_to_do(current: str, hint: str) -> None:
    with pytest.raises(stack.StackError) as caught:
        stack.change_type(STACK, REGION, current)
    assert current in str(caught.value) and hint in (caught.value.hint or "")


def test_a_stack_that_failed_to_create_is_named_before_anything_is_uploaded(
    aws: None, project: dict[str, Path]
) -> None:
    # Given a stack whose creation failed (moto cannot fail one: its status is set)
    assert run(project, "--yes").exit_code == 0
    backend = cf_models.cloudformation_backends[ACCOUNT][REGION]
    next(iter(backend.stacks.values())).status = "ROLLBACK_COMPLETE"
    new_keyring(project["keyring"])
    build_site(project["keyring"], project["site"], project["config"])
    # When the admin deploys new code
    result = run(project, "--yes")
    # Then the command stops with the way out, and the new zip was not uploaded
    assert result.exit_code == 1
    assert "stack wbs-test is ROLLBACK_COMPLETE" in result.stderr
    assert "hint: delete it (aws cloudformation delete-stack" in result.stderr
    s3 = boto3.client("s3", region_name=REGION)
    listed = s3.list_objects_v2(Bucket=f"wbs-artifacts-{ACCOUNT}-{REGION}", Prefix="functions/")
    assert len(listed["Contents"]) == 1


def test_no_credentials_is_one_clear_error(
    project: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project["root"] / "absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project["root"] / "absent"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port()}")
    result = run(project, "--yes")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "wbs: error: no AWS credentials found"
    assert "hint: give the admin's AWS credentials" in result.stderr


def test_site_checks(project: dict[str, Path]) -> None:
    ring = _ring(project)
    (project["site"] / "assets" / "css" / "site.css").write_text("body{}", encoding="utf-8")
    with pytest.raises(publish.SiteError, match=r"site\.css changed after the build"):
        read_site(project["site"], ring)
    with pytest.raises(publish.SiteError, match=r"is not a site built by build\.py"):
        read_site(project["root"], ring)


@pytest.mark.parametrize(
    ("key", "content_type", "cache"),
    [
        ("index.html", "text/html; charset=utf-8", "no-store"),
        ("en/status/index.html", "text/html; charset=utf-8", "no-store"),
        ("assets/js/app.mjs", "text/javascript; charset=utf-8", "no-cache"),
        ("assets/js/vendor/sodium.wasm", "application/wasm", "no-cache"),
        ("build-manifest.json", "application/json", "no-cache"),
        ("robots.txt", "text/plain; charset=utf-8", "no-cache"),
        ("assets/img/photo.jpg", "image/jpeg", "no-cache"),
        ("assets/blob", "application/octet-stream", "no-cache"),
    ],
)
def test_content_types_and_cache(key: str, content_type: str, cache: str) -> None:
    f = publish.SiteFile(key, Path(key), 1, "0" * 64)
    assert (f.content_type, f.cache_control) == (content_type, cache)


def test_a_deploy_with_object_lock_tells_the_function_and_the_inspectors(
    aws: None, project: dict[str, Path]
) -> None:
    # Given a config that asks for Object Lock, governance for 90 days, at the stack's creation
    with project["config"].open("a", encoding="utf-8") as config:
        config.write('object_lock = "governance"\nobject_lock_days = 90\n')
    # When the admin deploys
    result = run(project, "--yes")
    # Then they read what the lock keeps and blocks before the change, and the stack is made
    assert result.exit_code == 0, result.output
    assert "Object Lock: governance, 90 days." in " ".join(result.stderr.split())
    cf = boto3.client("cloudformation", region_name=REGION)
    described = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert (parameters["ObjectLockMode"], parameters["ObjectLockDays"]) == ("GOVERNANCE", "90")
    # And the function writes with that retention, as the inspectors' tool is told to
    function = boto3.client("lambda", region_name=REGION).get_function(
        FunctionName=outputs()["FunctionName"]
    )["Configuration"]
    assert function["Environment"]["Variables"]["WBS_OBJECT_LOCK"] == "GOVERNANCE:90"
    assert "  WBS_OBJECT_LOCK=GOVERNANCE:90\n" in result.stdout
