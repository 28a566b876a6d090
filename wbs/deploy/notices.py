"""What ``wbs deploy`` tells the admin to do by hand, where the stack cannot: confirm the
notification address so that nobody else can unsubscribe it, and make the bill's alarm in
us-east-1. Each is a list of ``aws`` commands, built here so that the tests read them."""

from __future__ import annotations

import shlex

BILL_REGION = "us-east-1"  # the only region with AWS/Billing's EstimatedCharges
BILL_PERIOD = 21_600  # the metric comes a few times a day: six hours


def confirm_subscription(topic_arn: str, region: str) -> str:
    """ConfirmSubscription with AuthenticateOnUnsubscribe: only the AWS account (signed
    requests) can then unsubscribe the address, not whoever holds a copy of a notice."""
    return (
        f"aws sns confirm-subscription --region {region} --topic-arn {shlex.quote(topic_arn)}"
        " --authenticate-on-unsubscribe true --token <the Token= value of the mail's link>"
    )


def bill_alarm(stack_name: str, topic_arn: str, email: str, usd: int) -> list[str]:
    """A topic, its subscription and the alarm, all in us-east-1."""
    account = topic_arn.split(":")[4] if topic_arn.count(":") >= 5 else "<account id>"
    partition = topic_arn.split(":")[1] if topic_arn.count(":") >= 5 else "aws"
    name = f"{stack_name}-bill"
    topic = f"arn:{partition}:sns:{BILL_REGION}:{account}:{name}"
    description = (
        f"WBS {stack_name}: this month's estimated AWS charges passed {usd} USD."
        " Look at Billing, Bills, by service."
    )
    where = f"--region {BILL_REGION}"
    commands = [f"aws sns create-topic {where} --name {name}"]
    if email:
        commands.append(
            f"aws sns subscribe {where} --topic-arn {topic} --protocol email"
            f" --notification-endpoint {shlex.quote(email)}"
        )
    commands.append(
        f"aws cloudwatch put-metric-alarm {where} --alarm-name {name}"
        f" --alarm-description {shlex.quote(description)}"
        " --namespace AWS/Billing --metric-name EstimatedCharges"
        " --dimensions Name=Currency,Value=USD --statistic Maximum"
        f" --period {BILL_PERIOD} --evaluation-periods 1 --threshold {usd}"
        f" --comparison-operator GreaterThanThreshold --alarm-actions {topic}"
    )
    return commands
