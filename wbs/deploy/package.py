"""The functions zip that Lambda runs: reproducible, offline, from the locked packages.

The zip holds four things and nothing else:

- the ``functions/`` package (``*.py`` and ``py.typed``, never ``__pycache__``);
- the public keyring at ``keys/keyring.json`` (the function reads ``WBS_KEYRING``);
- the routing rules at ``keys/routing.json`` (``WBS_ROUTING``): the ``routing.json`` that
  the build wrote beside the page, so that the API accepts the desks the page routes to; for
  a deployment without one, the rules of the keyring's only desk;
- the function's third-party packages (``DISTRIBUTIONS``), copied from this machine's
  installed distributions, file by file as their ``RECORD`` lists them.

Why copy rather than ``pip install --target``: it works offline (CI has the locked venv and
no network), and every one of these distributions is pure Python, so the files installed
here are the files Lambda's python3.12 on arm64 needs. Each is checked before it is copied:
its version must be the one ``requirements.lock`` pins (installed with ``--require-hashes``),
its wheel must be pure, and every file must still have the SHA-256 its ``RECORD`` gives.

boto3 and botocore are bundled, pinned, rather than taken from the Lambda runtime: the
runtime's copy changes when AWS updates it, with no notice, and the storage code relies on
recent botocore features (``put_object(IfNoneMatch="*")``, presigned ``UploadPart`` URLs that
sign ``Content-Length``); bundled, the function runs the versions the tests ran.

Same inputs, same bytes: entries are sorted, every timestamp is 1980-01-01, every mode 0644,
and the installer's own notes (``INSTALLER``, ``RECORD``, ``direct_url.json``...) are left
out, so two machines with the same lock and checkout build the same zip (given the same zlib).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from functions import routing as routing_rules
from functions.envelope import canonical_json
from functions.errors import WbsError
from functions.keyring import load_active
from functions.storage.tags import TagError, tag_value
from wbs import paths

# The function's imports, and theirs, on python3.12: aws-lambda-powertools needs jmespath
# and typing-extensions; boto3 needs botocore, jmespath and s3transfer; botocore needs
# python-dateutil (which needs six) and urllib3. tests/infra/test_package.py checks this
# list against the distributions' own metadata.
DISTRIBUTIONS = (
    "aws-lambda-powertools",
    "boto3",
    "botocore",
    "ecdsa",
    "jmespath",
    "python-dateutil",
    "s3transfer",
    "six",
    "typing-extensions",
    "urllib3",
)
KEYRING_ENTRY = "keys/keyring.json"
ROUTING_ENTRY = "keys/routing.json"  # the function's WBS_ROUTING
LOCK = paths.PROJECT_ROOT / "requirements.lock"
FUNCTIONS = paths.PROJECT_ROOT / "functions"
# What an installer writes about itself: it differs between pip and uv, and Lambda needs none.
INSTALLER_FILES = frozenset({"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"})
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16  # a regular file, readable by Lambda's runtime user
COMPRESS_LEVEL = 6
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


class PackageError(WbsError, ValueError):
    """The functions zip cannot be built from what is installed here."""


@dataclass(frozen=True)
class Package:
    data: bytes
    sha256: str
    files: int

    @property
    def key(self) -> str:
        """The zip's key in the artifacts bucket: new code is a new key, the same code the same."""
        return f"functions/{self.sha256}.zip"


def package(
    keyring: Path,
    *,
    routing: Path | None = None,
    lock: Path = LOCK,
    functions_dir: Path = FUNCTIONS,
    distributions: Iterable[str] = DISTRIBUTIONS,
) -> Package:
    """Build the zip in memory, with ``routing`` (the built site's routing.json; None: the
    keyring's only desk). Raise PackageError (or KeyringError, RoutingError) naming what is
    wrong."""
    ring = load_active(keyring)  # refuses a missing, empty or private keyring first
    files: dict[str, bytes] = {KEYRING_ENTRY: keyring.read_bytes()}
    if routing is None:
        rules = routing_rules.single(ring)  # refuses a keyring of several desks
        files[ROUTING_ENTRY] = canonical_json(rules.to_json())
    else:
        rules = routing_rules.load(routing)
        files[ROUTING_ENTRY] = routing.read_bytes()
    rules.allowed(ring)  # refuses rules naming a desk the keyring does not have
    for desks in sorted(sorted(s) for s in rules.desk_sets()):
        try:
            tag_value(desks)  # each object of a case is tagged with its desks, on S3
        except TagError as exc:
            raise PackageError(
                f"the routing sends some reports to desks {', '.join(desks)}: {exc}",
                hint="S3 takes a tag of at most 256 characters: fewer desks, or shorter ids"
                ' (docs/aws.md, "Inspectors\' access, per desk")',
            ) from None
    files.update(_functions(functions_dir))
    pins = locked_versions(lock)
    for name in distributions:
        for entry, data in distribution_files(name, pins):
            if entry in files:
                raise PackageError(f"{entry} comes from two places ({name} and another)")
            files[entry] = data
    data = _zip(files)
    return Package(data, hashlib.sha256(data).hexdigest(), len(files))


def locked_versions(lock: Path) -> dict[str, str]:
    """``{normalised name: version}`` of every pin in requirements.lock."""
    try:
        text = lock.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(
            f"no lock file at {lock}", hint="wbs deploy runs from a checkout of the repository"
        ) from None
    return {_normalise(name): version for name, version in PIN_RE.findall(text)}


def distribution_files(name: str, pins: Mapping[str, str]) -> Iterator[tuple[str, bytes]]:
    """The installed files of one locked, pure-Python distribution, each checked against its
    RECORD; the installer's notes and compiled bytecode left out."""
    install_hint = "install the lock: pip install --require-hashes -r requirements.lock"
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise PackageError(f"{name} is not installed here", hint=install_hint) from None
    pinned = pins.get(_normalise(name))
    if pinned is None:
        raise PackageError(f"{name} is not pinned in requirements.lock")
    if dist.version != pinned:
        raise PackageError(
            f"{name} {dist.version} is installed, but requirements.lock pins {pinned}",
            hint=install_hint,
        )
    if "Root-Is-Purelib: true" not in (dist.read_text("WHEEL") or ""):
        raise PackageError(
            f"{name} is not pure Python: its files here do not run on Lambda's arm64",
            hint="bundle a manylinux aarch64 wheel for it instead",
        )
    for record in dist.files or ():
        entry = record.as_posix()
        if entry.startswith("../") or "__pycache__" in record.parts or entry.endswith(".pyc"):
            continue  # scripts installed outside site-packages, and bytecode of this Python
        if record.parent.name.endswith(".dist-info") and record.name in INSTALLER_FILES:
            continue
        if record.hash is None or record.hash.mode != "sha256":
            raise PackageError(f"{name}: {entry} has no SHA-256 in its RECORD", hint=install_hint)
        data = Path(str(record.locate())).read_bytes()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if digest != record.hash.value:
            raise PackageError(
                f"{name}: {entry} differs from the file that was installed", hint=install_hint
            )
        yield entry, data


def _functions(folder: Path) -> dict[str, bytes]:
    files = {
        f"functions/{p.relative_to(folder).as_posix()}": p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and (p.suffix == ".py" or p.name == "py.typed")
        and "__pycache__" not in p.relative_to(folder).parts
    }
    if "functions/app.py" not in files:
        raise PackageError(f"no functions/app.py in {folder}")
    return files


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, whatever machine builds it
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
