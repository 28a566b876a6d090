"""`wbs deploy` and the proof-of-work key (wbs/deploy/proof_secret.py), on moto: made once as a
SecureString, never overwritten, named to the stack; the difficulty is the config's."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from tests.infra.test_deploy import (  # noqa: F401 (aws and project are fixtures)
    REGION,
    STACK,
    aws,
    outputs,
    project,
    run,
)
from wbs.deploy import proof_secret

pytestmark = [
    pytest.mark.slow,  # whole deploys against moto's CloudFormation
    pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning"),
]
NAME = f"/wbs/{STACK}/pow-secret"


def stack_parameters() -> dict[str, str]:
    cf = boto3.client("cloudformation", region_name=REGION)
    described = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}


def test_the_first_deploy_makes_the_key_and_later_ones_keep_it(
    aws: None,  # noqa: F811
    project: dict[str, Path],  # noqa: F811
) -> None:
    # Given a config that asks 19 bits
    config = project["config"]
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^difficulty = \d+", "difficulty = 19", text), "utf-8")
    # When the admin deploys
    first = run(project, "--yes")
    # Then a SecureString of 32 random bytes is made, named to the stack, and the stack is
    # given its name and the difficulty
    assert first.exit_code == 0, first.output
    assert f"Proof-of-work key made in SSM Parameter Store: {NAME}" in first.stdout
    ssm = boto3.client("ssm", region_name=REGION)
    (described,) = ssm.describe_parameters()["Parameters"]
    assert (described["Name"], described["Type"]) == (NAME, "SecureString")
    value = ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]
    assert re.fullmatch(r"[0-9a-f]{64}", value["Value"]) and value["Version"] == 1
    parameters = stack_parameters()
    assert parameters["ProofSecretParameter"] == NAME
    assert parameters["ProofDifficulty"] == "19"
    # ...which reach the function as its settings
    name = outputs()["FunctionName"]
    function = boto3.client("lambda", region_name=REGION).get_function(FunctionName=name)
    variables = function["Configuration"]["Environment"]["Variables"]
    assert (variables["WBS_POW_SECRET_PARAMETER"], str(variables["WBS_POW_DIFFICULTY"])) == (
        NAME,
        "19",
    )
    # When the admin deploys again
    second = run(project)
    # Then the key is left as it was: challenges signed before stay valid
    assert second.exit_code == 0, second.output
    assert "Proof-of-work key made" not in second.stdout
    again = ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]
    assert (again["Value"], again["Version"]) == (value["Value"], 1)


def test_a_parameter_that_is_not_secure_is_refused_and_left_alone(
    aws: None,  # noqa: F811
    project: dict[str, Path],  # noqa: F811
) -> None:
    # Given a plain String parameter under the key's name
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=NAME, Value="x" * 64, Type="String")
    # When the admin deploys
    result = run(project, "--yes")
    # Then the deployment stops before the stack, saying what to do, and the value stays
    assert result.exit_code == 1
    assert f"the SSM parameter {NAME} exists but is not a SecureString" in result.stderr
    assert "aws ssm delete-parameter" in result.stderr
    assert ssm.get_parameter(Name=NAME)["Parameter"]["Value"] == "x" * 64
    cf = boto3.client("cloudformation", region_name=REGION)
    assert cf.list_stacks()["StackSummaries"] == []


def test_ensure_never_overwrites(aws: None) -> None:  # noqa: F811
    ssm = boto3.client("ssm", region_name=REGION)
    assert proof_secret.ensure(ssm, NAME) is True
    first = ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"]
    assert proof_secret.ensure(ssm, NAME) is False
    assert ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"] == first
