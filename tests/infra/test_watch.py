"""What watches a deployment and what keeps it: the alarms, and the first deploy's
surprises that `wbs deploy` refuses up front (a stack name too long for the names the
template derives, a region the account has not enabled, a change that would replace the
data bucket) or prints (the subscription to confirm with authentication, the bill's alarm).
S3 Object Lock: test_object_lock_template.py.

The template is read as data (moto's CloudFormation skips AWS::CloudWatch::Alarm): its
conditions are evaluated here for each value of the parameters that choose them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

from functions.errors import WbsError
from tests.infra.test_template import REGION, of_type, template
from wbs.config import Deployment
from wbs.deploy import deploy, names, notices, regions, stack

TEMPLATE_TEXT = deploy.TEMPLATE.read_text(encoding="utf-8")
NO_VALUE = object()


def evaluate(value: Any, parameters: dict[str, Any]) -> Any:
    """``value`` with Fn::If, Fn::Not, Fn::Equals and Ref of ``parameters`` resolved, and
    every AWS::NoValue left out, as CloudFormation resolves them."""
    conditions = template()["Conditions"]
    if isinstance(value, list):
        items = [evaluate(v, parameters) for v in value]
        return [v for v in items if v is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        name = value["Ref"]
        if name == "AWS::NoValue":
            return NO_VALUE
        return parameters.get(name, template()["Parameters"].get(name, {}).get("Default"))
    if set(value) == {"Fn::If"}:
        condition, yes, no = value["Fn::If"]
        chosen = yes if evaluate(conditions[condition], parameters) else no
        return evaluate(chosen, parameters)
    if set(value) == {"Fn::Not"}:
        return not evaluate(value["Fn::Not"][0], parameters)
    if set(value) == {"Fn::Equals"}:
        left, right = (evaluate(v, parameters) for v in value["Fn::Equals"])
        return str(left) == str(right)
    items = {k: evaluate(v, parameters) for k, v in value.items()}
    return {k: v for k, v in items.items() if v is not NO_VALUE}


# --- alarms ---------------------------------------------------------------------------------


def alarms() -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in of_type("AWS::CloudWatch::Alarm").items()}


def watched() -> set[tuple[str, str, str]]:
    """(namespace, metric, what it is about) of each alarm."""
    found = set()
    for alarm in alarms().values():
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        subject = next(iter(dimensions.values()))
        found.add((alarm["Namespace"], alarm["MetricName"], next(iter(subject.values()))))
    return found


def test_alarms_watch_the_function_the_api_and_the_data_bucket() -> None:
    functions = set(of_type("AWS::Lambda::Function"))
    assert functions == {"Function"}
    expected = {("AWS/Lambda", metric, f) for f in functions for metric in ("Errors", "Throttles")}
    expected |= {
        ("AWS/ApiGateway", "5xx", "HttpApi"),
        ("AWS/S3", "BucketSizeBytes", "DataBucket"),
        ("AWS/S3", "NumberOfObjects", "DataBucket"),
    }
    assert watched() == expected
    # The bill's metric exists only in us-east-1: no alarm of this stack can watch it
    assert not any(a["Namespace"] == "AWS/Billing" for a in alarms().values())


def test_every_alarm_notifies_the_topic_and_nothing_else() -> None:
    for name, alarm in alarms().items():
        assert alarm["AlarmActions"] == [{"Ref": "Topic"}], name
        for other in ("OKActions", "InsufficientDataActions"):
            assert other not in alarm, name
        # A quiet metric (no report today, no error) is not an alarm
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_alarm_names_and_descriptions_say_what_to_look_at_and_nothing_else() -> None:
    for name, alarm in alarms().items():
        assert alarm["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name
        description = alarm["AlarmDescription"]["Fn::Sub"]
        assert description.startswith("WBS ${AWS::StackName}: "), name
        assert "Look at" in description, name
        # Only the stack's name is substituted: nothing that a request or a report sets
        assert set(_substitutions(description)) <= {"AWS::StackName"}, name


def _substitutions(text: str) -> list[str]:
    return [part.split("}", 1)[0] for part in text.split("${")[1:]]


def test_the_storage_alarms_take_their_thresholds_from_parameters() -> None:
    by_metric = {a["MetricName"]: a for a in alarms().values()}
    assert by_metric["BucketSizeBytes"]["Threshold"] == {"Ref": "AlarmStorageBytes"}
    assert by_metric["NumberOfObjects"]["Threshold"] == {"Ref": "AlarmObjectCount"}
    for metric, storage in (
        ("BucketSizeBytes", "StandardStorage"),
        ("NumberOfObjects", "AllStorageTypes"),
    ):
        alarm = by_metric[metric]
        assert alarm["Period"] == 86400  # S3's storage metrics come once a day
        assert {"Name": "StorageType", "Value": storage} in alarm["Dimensions"]
    # The deployment's [deployment] values reach them
    plan = _plan(Deployment("wbs", alarm_storage_gib=3, alarm_objects=5000))
    parameters = plan.parameters("bucket")
    assert parameters["AlarmStorageBytes"] == str(3 * 1024**3)
    assert parameters["AlarmObjectCount"] == "5000"
    defaults = _plan(Deployment("wbs")).parameters("bucket")
    for name in ("AlarmStorageBytes", "AlarmObjectCount", "ObjectLockDays"):
        assert defaults[name] == str(template()["Parameters"][name]["Default"]), name


def _plan(d: Deployment) -> deploy.Plan:
    from functions.uploads import Limits
    from wbs.deploy import publish
    from wbs.deploy.package import Package

    return deploy.Plan(d, Limits(), Package(b"", "0" * 64, 0), publish.Site(Path("."), ()), "")


class RecordingCloudFormation:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_change_set(self, ChangeSetName: str) -> None:
        self.deleted.append(ChangeSetName)

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackStatus": "UPDATE_COMPLETE"}]}


@pytest.mark.parametrize("replacement", ["True", "Conditional"])
def test_a_change_that_replaces_the_data_bucket_is_deleted_unshown(replacement: str) -> None:
    cf = RecordingCloudFormation()
    changes = (
        stack.Change("Modify", "DataBucket", "AWS::S3::Bucket", replacement),
        stack.Change("Modify", "Function", "AWS::Lambda::Function", "False"),
    )
    cs = stack.ChangeSet("cs-1", "wbs", False, changes)
    with pytest.raises(stack.StackError) as caught:
        deploy.refuse_replacing_data(cf, cs)  # type: ignore[arg-type]
    assert "would replace the data bucket of stack wbs" in str(caught.value)
    assert (caught.value.hint or "").startswith("nothing was changed")
    assert cf.deleted == ["cs-1"]


def test_a_change_that_modifies_the_data_bucket_in_place_goes_on() -> None:
    cf = RecordingCloudFormation()
    change = stack.Change("Modify", "DataBucket", "AWS::S3::Bucket", "False")
    deploy.refuse_replacing_data(cf, stack.ChangeSet("cs-1", "wbs", False, (change,)))  # type: ignore[arg-type]
    assert cf.deleted == []


# --- the stack name's length ----------------------------------------------------------------


def test_every_name_derived_from_the_stack_name_has_a_known_limit() -> None:
    derived = names.derived_names(TEMPLATE_TEXT)
    # the template's one-line names, found by the deployment's own reader
    assert {n.logical_id for n in derived} >= {"IndexFunction", "SiteOriginAccessControl"}
    for name in derived:
        assert name.limit is not None, name
    # where cfn-lint's schemas give a maximum, it is ours
    for (kind, prop), limit in names.LIMITS.items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
        found = schema["properties"].get(prop, {}).get("maxLength")
        assert found in (None, limit), (kind, prop)


def test_the_longest_stack_name_is_that_of_the_tightest_name() -> None:
    longest, cause = names.longest_stack_name(TEMPLATE_TEXT)
    # CloudFront functions' names: 64 characters, of which "-index" takes 6
    assert (longest, cause and cause.logical_id) == (58, "IndexFunction")
    deploy.check_stack_name("w" * longest, TEMPLATE_TEXT)


def test_a_stack_name_too_long_for_the_template_is_refused_before_anything_is_sent() -> None:
    name = "wbs-" + "x" * 55  # 59 characters: CloudFormation takes it, CloudFront does not
    with pytest.raises(WbsError) as caught:
        deploy.check_stack_name(name, TEMPLATE_TEXT)
    message = str(caught.value)
    assert message == (
        f"stack name {name} is 59 characters: the template can take at most 58"
        " (IndexFunction's Name, ${AWS::StackName}-index, must fit in 64)"
    )
    assert caught.value.hint == "choose a shorter deployment.stack_name, of at most 58 characters"
    # the one-line names of every derived name fit at the limit
    for derived in names.derived_names(TEMPLATE_TEXT):
        value = derived.pattern.replace(names.STACK, "w" * 58)
        assert derived.limit is not None and len(value) <= derived.limit


# --- the region -----------------------------------------------------------------------------


class FakeEc2:
    def __init__(self, answer: list[dict[str, str]] | Exception) -> None:
        self.answer = answer
        self.asked: list[tuple[str, list[str]]] = []

    def describe_regions(self, AllRegions: bool, RegionNames: list[str]) -> dict[str, Any]:
        self.asked.append(("all" if AllRegions else "enabled", RegionNames))
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Regions": self.answer}


class FakeSession:
    def __init__(self, ec2: FakeEc2) -> None:
        self.ec2 = ec2
        self.regions: list[str] = []

    def client(self, service: str, region_name: str) -> FakeEc2:
        assert service == "ec2"
        self.regions.append(region_name)
        return self.ec2


def test_a_region_not_enabled_for_the_account_is_refused_with_the_way_to_enable_it() -> None:
    session = FakeSession(FakeEc2([{"RegionName": REGION, "OptInStatus": "not-opted-in"}]))
    with pytest.raises(regions.RegionError) as caught:
        regions.check_enabled(session, REGION, "aws")
    assert str(caught.value) == (
        "region ap-southeast-3 is not enabled for this account: it is an opt-in region"
    )
    assert "aws account enable-region --region-name ap-southeast-3" in (caught.value.hint or "")
    # asked in a region every account has
    assert session.regions == ["us-east-1"] and session.ec2.asked == [("all", [REGION])]


@pytest.mark.parametrize("status", ["opted-in", "opt-in-not-required"])
def test_an_enabled_region_passes(status: str) -> None:
    session = FakeSession(FakeEc2([{"RegionName": REGION, "OptInStatus": status}]))
    regions.check_enabled(session, REGION, "aws")


def test_an_unknown_region_is_named() -> None:
    error = ClientError({"Error": {"Code": "InvalidParameterValue"}}, "DescribeRegions")
    for answer in ([], error):
        with pytest.raises(regions.RegionError, match="AWS has no region ap-nowhere-1"):
            regions.check_enabled(FakeSession(FakeEc2(answer)), "ap-nowhere-1", "aws")


def test_a_refused_check_is_a_warning_not_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    denied = ClientError({"Error": {"Code": "UnauthorizedOperation"}}, "DescribeRegions")
    regions.check_enabled(FakeSession(FakeEc2(denied)), REGION, "aws")
    assert "could not check that region ap-southeast-3 is enabled" in capsys.readouterr().err
    # other partitions' regions, and the home region itself, need no check
    regions.check_enabled(FakeSession(FakeEc2(denied)), "cn-north-1", "aws-cn")
    regions.check_enabled(FakeSession(FakeEc2(denied)), "us-east-1", "aws")


# --- what wbs deploy prints -----------------------------------------------------------------

TOPIC = f"arn:aws:sns:{REGION}:123456789012:wbs-Topic-ABC"


def test_the_subscription_is_confirmed_so_that_only_the_account_can_unsubscribe() -> None:
    command = notices.confirm_subscription(TOPIC, REGION)
    assert command.startswith(f"aws sns confirm-subscription --region {REGION} --topic-arn {TOPIC}")
    assert "--authenticate-on-unsubscribe true --token " in command


def test_the_bill_alarm_commands_target_us_east_1() -> None:
    topic_make, subscribe, alarm = notices.bill_alarm("wbs", TOPIC, "a@example.go.id", 50)
    assert topic_make == "aws sns create-topic --region us-east-1 --name wbs-bill"
    bill_topic = "arn:aws:sns:us-east-1:123456789012:wbs-bill"
    assert subscribe.endswith(
        f"--topic-arn {bill_topic} --protocol email --notification-endpoint a@example.go.id"
    )
    for part in (
        "--region us-east-1",
        "--namespace AWS/Billing --metric-name EstimatedCharges",
        "--dimensions Name=Currency,Value=USD",
        "--threshold 50 --comparison-operator GreaterThanThreshold",
        f"--alarm-actions {bill_topic}",
    ):
        assert part in alarm
    # without an address, no subscription
    assert len(notices.bill_alarm("wbs", TOPIC, "", 50)) == 2


# --- through the command --------------------------------------------------------------------


def dry_run(tmp_path: Path, keyring: Path, deployment: str) -> Any:
    from click.testing import CliRunner

    from wbs.cli import cli

    path = tmp_path / "config.toml"
    path.write_text(f"[deployment]\n{deployment}", encoding="utf-8")
    args = ["deploy", "--dry-run", "--config", str(path), "--keyring", str(keyring)]
    return CliRunner().invoke(cli, [*args, "--site", str(tmp_path)])


def test_wbs_deploy_refuses_a_long_stack_name_in_one_line(
    tmp_path: Path, keyring_file: Path
) -> None:
    name = "w" * 59
    result = dry_run(tmp_path, keyring_file, f'stack_name = "{name}"\n')
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"wbs: error: stack name {name} is 59 characters: the template can take at most 58"
        " (IndexFunction's Name, ${AWS::StackName}-index, must fit in 64)",
        "hint: choose a shorter deployment.stack_name, of at most 58 characters",
    ]
    assert result.stdout == ""
