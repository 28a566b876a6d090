"""The ``wbs`` command: one entry point, a subcommand group per role.

Only this module turns errors into words: every ``WbsError`` (and every usage mistake) ends
as ``wbs: error: <message>`` plus ``hint:`` lines on stderr, never as a traceback.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click

from functions.errors import WbsError
from wbs import console
from wbs.commands.backup import backup
from wbs.commands.deploy import deploy
from wbs.commands.desks import desks
from wbs.commands.health import health
from wbs.commands.inbox import inbox
from wbs.commands.keys import keys
from wbs.commands.shares import check_shares, reissue_shares
from wbs.commands.site import build, serve
from wbs.commands.verify import verify
from wbs.commands.workbench import workbench


class Failure(click.ClickException):
    """An expected failure, shown in the tool's one voice."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file: Any = None) -> None:
        console.error(self.message, self.hint)


class UsageFailure(Failure):
    """A command typed wrongly (exit status 2, as click and most tools use)."""

    exit_code = 2


def _usage_failure(exc: click.UsageError) -> NoReturn:
    path = exc.ctx.command_path if exc.ctx else "wbs"
    raise UsageFailure(exc.format_message(), f"{path} --help") from None


class WbsGroup(click.Group):
    """The root group: converts expected failures into the one voice."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            _usage_failure(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WbsError as exc:
            raise Failure(str(exc), exc.hint) from None
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            _usage_failure(exc)
        except (click.Abort, KeyboardInterrupt):
            raise Failure(
                "interrupted", "without a terminal, give the passphrase in WBS_PASSPHRASE"
            ) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            raise Failure(f"{exc.strerror or exc}{where}") from None


@click.group("wbs", cls=WbsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wbs", message="%(prog)s %(version)s")
def cli() -> None:
    """Whistle Blowing System: the inspectors' and admins' tool.

    Reports are encrypted in the reporter's browser; only inspectors' private keys, on their
    own machines, can read them. Plaintext is kept in memory; it reaches the disk only when
    you export a case's evidence files (wbs inbox export).

    \b
    First steps:
      wbs serve --demo        build the site and serve it locally with a demo key
      wbs keys new            create your inspector key
      wbs desks init --member KID
                              admin, once: the desks, the recovery key and its shares
      wbs inbox sync          fetch new encrypted reports into the local cache
      wbs inbox list          decrypt them in memory and list them
      wbs workbench           the same, and answering cases, in a local web page
    """


cli.add_command(keys)
desks.add_command(check_shares)
desks.add_command(reissue_shares)
cli.add_command(desks)
cli.add_command(inbox)
cli.add_command(build)
cli.add_command(serve)
cli.add_command(deploy)
cli.add_command(verify)
cli.add_command(health)
cli.add_command(workbench)
cli.add_command(backup)


def main() -> None:
    cli()
