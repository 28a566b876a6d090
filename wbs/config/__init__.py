"""The institution's config file, ``site/config.toml``: one reader for every table.

The file is read once (``read``) and each table is checked by its own module with the
shared field checkers of ``fields.py``; any mistake raises ``ConfigFileError``, whose message
names the file and the dotted field (``site/config.toml: uploads.part_size must be ...``)
and whose hint points at an example. Each part of the system asks for the tables it needs:

- the site build, ``load_all``: every table, so that it refuses a file any part would refuse
  (``[[desks]]``, ``[routing]`` and ``[[offices]]`` become the page's routing document);
- ``wbs inbox`` and the workbench, ``load``: the ``[deadlines]`` rules, and
  ``load_workflow``: the ``[workflow]`` rules;
- ``wbs serve``, ``upload_limits`` and ``proof_difficulty``, with the WBS_UPLOAD_* and
  WBS_POW_DIFFICULTY variables on top (functions/ reads those, and never this package);
- ``wbs deploy``, ``load_deployment``: ``[deployment]``, ``[uploads]`` and
  ``[proof_of_work]`` of the file alone.

Without ``--config`` / ``WBS_CONFIG`` the file is the project's ``site/config.toml`` when it
exists; without a file or without a table, the built-in defaults apply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from functions.config import ConfigError, difficulty_from_env
from functions.uploads import Limits
from wbs import paths
from wbs.config import deadlines, deployment, desks, proof_of_work, site, uploads, workflow
from wbs.config.deployment import Deployment
from wbs.config.desks import Desks
from wbs.config.errors import ConfigFileError
from wbs.config.fields import Table
from wbs.config.file import HINT, read_file
from wbs.config.site import Site
from wbs.config.workflow import NO_RULE, Workflow
from wbs.deadlines import Rules

__all__ = [
    "DEFAULT_PATH",
    "TABLES",
    "Config",
    "ConfigFileError",
    "DeploySettings",
    "Deployment",
    "Desks",
    "Site",
    "Workflow",
    "load",
    "load_all",
    "load_deployment",
    "load_workflow",
    "proof_difficulty",
    "read",
    "upload_limits",
]

DEFAULT_PATH = paths.PROJECT_ROOT / "site" / "config.toml"
# Every top-level key of the file.
TABLES = frozenset(
    {
        "institution",
        "languages",
        "categories",
        "desks",
        "routing",
        "offices",
        "deadlines",
        "uploads",
        "proof_of_work",
        "deployment",
        "workflow",
    }
)


@dataclass(frozen=True)
class Config:
    """Every table of one file, checked. The limits and the difficulty are the file's own,
    without this machine's variables: the page shows what the file says."""

    site: Site
    desks: Desks
    deadlines: Rules
    uploads: Limits
    proof_difficulty: int
    deployment: Deployment | None  # None: the file has no [deployment] table
    workflow: Workflow = NO_RULE


def read(path: Path | None) -> Table:
    """The top level of the config file ``path``; of the project's site/config.toml when
    None, or an empty one when the project has none."""
    if path is None:
        if not DEFAULT_PATH.is_file():
            return Table(None, "", {}, HINT)
        path = DEFAULT_PATH
    return read_file(path)


def load_all(path: Path) -> Config:
    top = read_file(path)
    top.only(TABLES)
    rules = deadlines.parse(top)
    limits = uploads.parse(top)
    difficulty = proof_of_work.parse(top)
    stack = deployment.parse(top) if "deployment" in top.values else None
    page = site.parse(top)
    return Config(
        site=page,
        desks=desks.parse(top, page.languages, site.LANGUAGES),
        deadlines=rules,
        uploads=limits,
        proof_difficulty=difficulty,
        deployment=stack,
        workflow=workflow.parse(top),
    )


@dataclass(frozen=True)
class DeploySettings:
    """What ``wbs deploy`` takes from the file: the stack, and the limits and difficulty it
    gives the functions. The admin's own WBS_UPLOAD_* and WBS_POW_DIFFICULTY are ignored, as
    the site build ignores them, so that the page and the API always tell the same."""

    deployment: Deployment
    uploads: Limits
    proof_difficulty: int


def load_deployment(path: Path | None) -> DeploySettings:
    """The tables ``wbs deploy`` needs, of ``path`` (the project's site/config.toml when
    None); the file must have a ``[deployment]`` table."""
    top = read(path or DEFAULT_PATH)
    return DeploySettings(deployment.parse(top), uploads.parse(top), proof_of_work.parse(top))


def load(path: Path | None) -> Rules:
    """The deadline rules of ``path``; of the project's site/config.toml when None."""
    return deadlines.parse(read(path))


def load_workflow(path: Path | None) -> Workflow:
    """The ``[workflow]`` rules of ``path``; of the project's site/config.toml when None."""
    return workflow.parse(read(path))


def upload_limits(path: Path | None, environ: Mapping[str, str] | None = None) -> Limits:
    """The ``[uploads]`` table of ``path`` (the project's site/config.toml when None), with
    any WBS_UPLOAD_* variable of ``environ`` (the process's when None) on top."""
    limits = uploads.parse(read(path))
    try:
        return Limits.from_env(os.environ if environ is None else environ, base=limits)
    except ValueError as exc:
        raise ConfigFileError(str(exc), hint="see docs/architecture.md") from None


def proof_difficulty(path: Path | None, environ: Mapping[str, str] | None = None) -> int:
    """The ``[proof_of_work]`` table's difficulty, or WBS_POW_DIFFICULTY of ``environ`` (the
    process's when None) when it is set: only the variable can say 0, which turns the check
    off."""
    difficulty = proof_of_work.parse(read(path))
    try:
        return difficulty_from_env(os.environ if environ is None else environ, difficulty)
    except ConfigError as exc:
        raise ConfigFileError(str(exc), hint=exc.hint) from None
