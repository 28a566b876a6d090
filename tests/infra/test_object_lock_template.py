"""S3 Object Lock in the template and in `wbs deploy` (docs/aws.md, "Object Lock").

With a mode, the data bucket has Object Lock enabled and no default retention (under one, S3
takes an uploaded part only with a checksum header, which the page's presigned evidence
parts do not send); the function is told the mode and days (WBS_OBJECT_LOCK) and gives each
object its own retention, as the inspectors' tool does (tests/test_object_lock.py, on moto).
The template is read as data, its conditions evaluated for each value of the parameters
(moto's CloudFormation applies no Object Lock configuration)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from functions.storage.lock import ObjectLock, parse
from tests.infra.test_template import (
    function_statements,
    of_type,
    props,
    resource,
    statements,
    template,
)
from tests.infra.test_watch import _plan, evaluate
from wbs import config
from wbs.cli import cli
from wbs.config import ConfigFileError, Deployment
from wbs.deploy import desks, object_lock


def function_lock_variable(parameters: dict[str, Any]) -> str:
    """The function's WBS_OBJECT_LOCK for these parameters (its Fn::Sub resolved)."""
    value = evaluate(props("Function")["Environment"]["Variables"]["WBS_OBJECT_LOCK"], parameters)
    if isinstance(value, dict):
        (text,) = value.values()
        return re.sub(r"\$\{(\w+)\}", lambda m: str(evaluate({"Ref": m[1]}, parameters)), text)
    assert isinstance(value, str)
    return value


@pytest.mark.parametrize("mode", ["GOVERNANCE", "COMPLIANCE"])
def test_a_mode_enables_object_lock_without_a_default_retention(mode: str) -> None:
    parameters = {"ObjectLockMode": mode, "ObjectLockDays": 400}
    bucket = evaluate(props("DataBucket"), parameters)
    # The bucket takes per-object retentions, and gives none of its own: no Rule
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    # Object Lock requires versioning; the bucket outlives its stack
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert resource("DataBucket")["DeletionPolicy"] == "Retain"
    assert resource("DataBucket")["UpdateReplacePolicy"] == "Retain"
    # And the function is told the mode and the days, in the form its settings read
    variable = function_lock_variable(parameters)
    assert variable == f"{mode}:400"
    assert parse(variable) == ObjectLock(mode, 400)  # type: ignore[arg-type]


def test_without_a_mode_there_is_no_lock_and_the_function_is_told_none() -> None:
    for parameters in ({}, {"ObjectLockMode": ""}):
        bucket = evaluate(props("DataBucket"), parameters)
        assert "ObjectLockEnabled" not in bucket
        assert "ObjectLockConfiguration" not in bucket
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        assert function_lock_variable(parameters) == ""
        assert parse(function_lock_variable(parameters)) is None
    assert template()["Parameters"]["ObjectLockMode"]["Default"] == ""
    assert set(template()["Parameters"]["ObjectLockMode"]["AllowedValues"]) == {
        "",
        "GOVERNANCE",
        "COMPLIANCE",
    }
    # Only the data bucket is ever locked
    for name in of_type("AWS::S3::Bucket"):
        if name != "DataBucket":
            assert "ObjectLock" not in str(props(name)), name


def retention_grants(policy: list[dict[str, Any]]) -> list[str]:
    """The object patterns ``policy`` may give a retention to (s3:PutObjectRetention)."""
    found = []
    for statement in policy:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if any((a.startswith("s3:") and "Retention" in a) or a in ("s3:*", "*") for a in actions):
            resources = statement["Resource"]
            for arn in resources if isinstance(resources, list) else [resources]:
                found.append(arn["Fn::Sub"].removeprefix("${DataBucket.Arn}/"))
    return found


def test_the_writers_may_give_a_retention_to_what_they_create_and_no_more() -> None:
    # The function: what it writes, but the spent proofs' markers, which are never locked
    assert retention_grants(function_statements()) == [
        "reports/*",
        "mailboxes/*",
        "uploads/*",
        "attachments/*",
    ]
    # The inspectors: the kinds of objects they create (replies, notes, shares, grants)
    inspectors = statements(props("InspectorPolicy")["PolicyDocument"])
    assert retention_grants(inspectors) == [*desks.INSPECTOR_WRITES, "desks/*"]
    # A desk: the same, and its own grants
    assert retention_grants(
        statements(desks.policy_resource("jabar")["Properties"]["PolicyDocument"])
    ) == [
        *desks.INSPECTOR_WRITES,
        "desks/jabar/*",
    ]
    # And nobody may bypass a governance retention, or change the bucket's lock
    text = str(template())
    for action in ("BypassGovernanceRetention", "PutBucketObjectLockConfiguration"):
        assert action not in text
        assert action not in str(desks.policy_resource("jabar"))


@pytest.mark.parametrize(
    ("mode", "parameter"), [("off", ""), ("governance", "GOVERNANCE"), ("compliance", "COMPLIANCE")]
)
def test_the_config_chooses_the_mode(tmp_path: Path, mode: str, parameter: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[deployment]\nstack_name = "wbs"\nobject_lock = "{mode}"\nobject_lock_days = 90\n',
        encoding="utf-8",
    )
    d = config.load_deployment(path).deployment
    parameters = _plan(d).parameters("bucket")
    assert (parameters["ObjectLockMode"], parameters["ObjectLockDays"]) == (parameter, "90")
    chosen = object_lock.lock(d)
    assert (chosen.to_env() if chosen else "") == ("" if mode == "off" else f"{parameter}:90")


def test_a_mistyped_mode_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[deployment]\nstack_name = "wbs"\nobject_lock = "GOVERNANCE"\n', "utf-8")
    with pytest.raises(ConfigFileError, match=r"deployment\.object_lock must be one of off"):
        config.load_deployment(path)


def test_the_notice_says_what_each_mode_blocks() -> None:
    compliance = object_lock.notice(Deployment("wbs", object_lock="compliance"))
    assert "Object Lock: compliance, 365 days." in compliance
    assert "not even the account's root user" in compliance
    assert "cannot be turned off" in compliance
    governance = object_lock.notice(
        Deployment("wbs", object_lock="governance", object_lock_days=30)
    )
    assert "Object Lock: governance, 30 days." in governance
    assert "s3:BypassGovernanceRetention" in governance and "root" not in governance
    off = object_lock.notice(Deployment("wbs"))
    assert off.startswith("Object Lock: off.")


@pytest.mark.parametrize("mode", ["governance", "compliance"])
def test_the_dry_run_plans_the_lock_and_says_what_it_means(
    tmp_path: Path, keyring_file: Path, built_site: Path, mode: str
) -> None:
    # Given a config that asks for Object Lock (refused before: now offered)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[deployment]\nstack_name = "wbs"\nobject_lock = "{mode}"\nobject_lock_days = 90\n',
        encoding="utf-8",
    )
    args = ["deploy", "--dry-run", "--config", str(path), "--keyring", str(keyring_file)]
    # When the admin asks for the plan
    result = CliRunner().invoke(cli, [*args, "--site", str(built_site)], env={"COLUMNS": "200"})
    # Then it is shown: the parameter, and what the lock keeps and blocks
    assert result.exit_code == 0, result.output
    assert re.search(rf"ObjectLockMode\s*│\s*{mode.upper()}", result.stdout), result.stdout
    assert re.search(r"ObjectLockDays\s*│\s*90", result.stdout)
    flat = " ".join(result.stdout.split())
    assert object_lock.notice(Deployment("wbs", object_lock=mode, object_lock_days=90)) in flat


def test_the_days_have_one_range_in_the_config_the_template_and_the_setting() -> None:
    from functions.storage import lock as setting
    from wbs.config import deployment

    days = template()["Parameters"]["ObjectLockDays"]
    assert (days["MinValue"], days["MaxValue"]) == (1, setting.MAX_DAYS)
    assert deployment.MAX_RETENTION_DAYS == setting.MAX_DAYS
