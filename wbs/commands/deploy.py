"""``wbs deploy``: build, package and deploy the whole system to AWS with one command.

The work is done by ``wbs.deploy`` (deploy.py and the modules beside it): deploying needs
the checkout (the template infra/template.yaml, the lock, the functions' source). This module
only reads options, asks, and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from functions.errors import WbsError
from wbs import console, paths
from wbs.commands.options import keyring_option
from wbs.commands.site import build_site

if TYPE_CHECKING:
    from rich.console import Console

    from wbs.deploy.deploy import Outcome, Plan
    from wbs.deploy.stack import ChangeSet


@click.command()
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The institution's config file with the [deployment], [uploads] and"
    " [proof_of_work] tables"
    "  [default: site/config.toml of the project]",
)
@keyring_option
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    help="A site built already (wbs build) with the same keyring"
    "  [default: build it now into dist/site]",
)
@click.option("--dry-run", is_flag=True, help="Show the plan; send nothing to AWS.")
@click.option("--yes", is_flag=True, help="Execute the change set without asking.")
def deploy(config: Path | None, keyring: Path, site: Path | None, dry_run: bool, yes: bool) -> None:
    """Deploy the site, the API and the buckets to AWS (CloudFormation), or update them.

    Builds the site and the functions zip, shows what CloudFormation will change and asks
    before changing it, waits with progress, uploads the site files that changed, then prints
    the site's address and the settings inspectors need. Running it again with nothing
    changed changes nothing. Uses the admin's AWS credentials (aws configure, AWS_PROFILE);
    the stack and region are the [deployment] table of the config file (docs/deploy.md).
    """
    from wbs.deploy import deploy as steps

    if site is None:
        site = paths.DEFAULT_SITE_OUT
        build_site(keyring, site, config)
    plan = steps.make_plan(config, keyring, site)
    if dry_run:
        _show_plan(plan)
        return
    if plan.deployment.object_lock != "off":  # said before the change set is asked about
        _show_object_lock(plan, console.err)
    outcome = steps.deploy(plan, lambda cs: _confirm(cs, yes))
    _show_outcome(plan, outcome)


def _show_plan(plan: Plan) -> None:
    from wbs.deploy import deploy, publish

    d = plan.deployment
    out = console.out
    out.print(f"Dry run: nothing was sent to AWS. Stack {d.stack_name} in {d.region}.")
    out.print(f"Functions zip: {plan.package.key}", soft_wrap=True)
    out.print(
        f"  {_size(len(plan.package.data))}, {plan.package.files} files,"
        f" sha256 {plan.package.sha256}",
        soft_wrap=True,
    )
    bucket = deploy.artifacts_bucket("<account id>", d.region)
    parameters = _table("CloudFormation parameters", "parameter", "value")
    for name, value in plan.parameters(bucket).items():
        parameters.add_row(name, value or '""')
    out.print(parameters)
    files = _table(f"Site files ({plan.site.folder})", "file", "size", "content type", "cache")
    for key, size, content_type, cache in publish.plan_rows(plan.site):
        files.add_row(key, _size(size), content_type, cache)
    out.print(files)
    _show_object_lock(plan, out)
    _show_desk_plan(plan)
    out.print(
        "Then: create or update the stack through a change set (shown before it runs),"
        " and upload the site files that differ from the bucket's."
    )
    _warn_default_domain(plan)


def _warn_default_domain(plan: Plan) -> None:
    if not plan.deployment.domain:
        click.echo(
            "wbs: warning: no deployment.domain: the page is served on CloudFront's default"
            " domain, whose certificate still accepts TLS 1.0 and 1.1; a custom domain gets"
            " TLSv1.2_2021 (docs/deploy.md, section 3)",
            err=True,
        )


def _show_object_lock(plan: Plan, to: Console) -> None:
    from wbs.deploy import object_lock

    to.print(object_lock.notice(plan.deployment), markup=False)


def _show_desk_plan(plan: Plan) -> None:
    from wbs.deploy import desks

    out = console.out
    if not plan.desks:
        out.print(
            "Desks: none in the config ([[desks]]). Inspectors get InspectorPolicy,"
            " which reads every case."
        )
        return
    table = _table("Read access, one IAM policy a desk", "desk", "stack resource")
    for desk in plan.desks:
        table.add_row(desk, desks.logical_id(desk))
    out.print(table)
    out.print(
        f"Each desk's policy fetches a case's ciphertext only where the object's"
        f' {desks.TAG} tag names the desk (docs/aws.md, "Inspectors\' access, per desk").'
    )


def _table(title: str, *columns: str) -> Table:
    """A table whose long values (hashes, ARNs, resource types) wrap instead of being cut."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _confirm(cs: ChangeSet, yes: bool) -> bool:
    table = _table(f"Changes to stack {cs.stack_name}", "action", "resource", "type", "replacement")
    for change in cs.changes:
        table.add_row(change.action, change.logical_id, change.resource_type, change.replacement)
    console.out.print(table)
    if yes:
        return True
    try:
        return click.confirm("Execute these changes?", default=False, err=True)
    except click.Abort:
        raise WbsError(
            "not confirmed: the change set was not executed",
            hint="answer y on a terminal, or pass --yes",
        ) from None


def _show_outcome(plan: Plan, outcome: Outcome) -> None:
    if outcome.declined:
        click.echo("Nothing deployed: the change set was deleted.")
        return
    if outcome.code_uploaded:
        click.echo(f"Functions zip uploaded: {plan.package.key}")
    if outcome.secret_created:
        click.echo(
            f"Proof-of-work key made in SSM Parameter Store: {plan.proof_secret_parameter}"
            " (SecureString; kept when the stack is deleted)"
        )
    if not outcome.stack_changed:
        click.echo("Nothing to deploy: the stack is up to date.")
    upload = outcome.upload
    if upload is not None:
        click.echo(
            f"Site: {len(upload.uploaded)} files uploaded ({_size(upload.bytes)}),"
            f" {upload.unchanged} unchanged, {len(upload.removed)} removed."
        )
    if outcome.missing:
        click.echo(
            f"wbs: warning: the stack has no output {', '.join(outcome.missing)}:"
            " CloudFormation did not create what they name",
            err=True,
        )
    outputs = outcome.outputs
    region = outputs.get("Region", plan.deployment.region)
    click.echo(f"\nThe reporting page: {outputs.get('SiteUrl', '(unknown: no SiteUrl output)')}")
    click.echo("\nInspectors' settings (each inspector, on their own workstation):")
    click.echo(f"  WBS_STORAGE=s3://{outputs.get('DataBucket', '<DataBucket output missing>')}")
    click.echo(f"  AWS_DEFAULT_REGION={region}")
    _show_lock_setting(plan)
    click.echo(
        "  wbs inbox uses the inspector's own AWS credentials (aws configure on their"
        " machine), never the admin's."
    )
    _show_access(plan, outcome)
    _show_notices(plan, outcome)
    _warn_default_domain(plan)


def _show_lock_setting(plan: Plan) -> None:
    """The retention the inspector's tool gives what it writes, as the function does."""
    from wbs.deploy import object_lock

    chosen = object_lock.lock(plan.deployment)
    if chosen is not None:
        click.echo(f"  {object_lock.VARIABLE}={chosen.to_env()}")
        click.echo(
            f"  {object_lock.VARIABLE} gives what wbs inbox writes (replies, notes, grants) the"
            " retention the function gives its own writes; without it they are not locked."
        )


def _show_notices(plan: Plan, outcome: Outcome) -> None:
    """The subscription to confirm (with authentication), the alarms, the bill's alarm."""
    from wbs.deploy import notices

    d = plan.deployment
    topic = outcome.outputs.get("TopicArn", "<TopicArn output missing>")
    region = outcome.outputs.get("Region", d.region)
    if d.notify_email and outcome.stack_changed:
        click.echo(
            f"\n{d.notify_email} gets an email from AWS to confirm the subscription: no report"
            " notice or alarm arrives before it is confirmed. Do not click its link: whoever"
            " holds a notice could then unsubscribe the address. Confirm it so that only the"
            " account can (docs/deploy.md):\n"
            f"  {notices.confirm_subscription(topic, region)}"
        )
    click.echo(
        f"\nAlarms (API errors, throttles and 5xx; the data bucket's size and objects) notify"
        f" {topic}, without content."
    )
    if d.bill_alarm_usd:
        click.echo(
            "The bill's alarm lives in us-east-1, the only region with AWS/Billing: turn on"
            " Billing preferences, Receive CloudWatch billing alerts, then run:"
        )
        for command in notices.bill_alarm(d.stack_name, topic, d.notify_email, d.bill_alarm_usd):
            click.echo(f"  {command}")
    else:
        click.echo("No bill alarm: set deployment.bill_alarm_usd to get its commands.")


def _show_access(plan: Plan, outcome: Outcome) -> None:
    """How each desk's members get read access, and the policy of every desk."""
    from wbs.deploy import desks

    every = outcome.outputs.get("InspectorPolicyArn", "<InspectorPolicyArn output missing>")
    if not plan.desks:
        click.echo(
            f"  Attach the policy {every} to each inspector's IAM user: it reads every"
            " case (the config has no [[desks]])."
        )
        return
    click.echo(
        '\nRead access, one IAM policy a desk (docs/aws.md, "Inspectors\' access, per desk"):'
    )
    width = max(len(desk) for desk in plan.desks)
    for desk in plan.desks:
        arn = outcome.desk_policies.get(desk, f"<{desks.logical_id(desk)} not found in the stack>")
        click.echo(f"  {desk:<{width}}  {arn}")
    click.echo(
        "  Attach a desk's policy to the IAM user of each of its members (a member of two"
        " desks gets both):\n"
        "    aws iam attach-user-policy --user-name <member's IAM user>"
        " --policy-arn <the desk's policy ARN>\n"
        f"  A desk's policy fetches a case's ciphertext only where the object's {desks.TAG}"
        " tag names the desk (a tag is given when the object is created); it lists every"
        " case's keys, sizes and times. A case shared with another desk: python -m"
        " wbs.deploy.share (docs/aws.md).\n"
        "  When a member leaves: aws iam detach-user-policy with the same arguments. That"
        " stops their fetches; what they fetched, and the desk keys they hold, stay theirs:"
        " rotate the desk."
    )
    click.echo(f"Every desk (the recovery key's holders, nobody else): {every}")


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
