"""The functions zip: byte-identical from the same inputs, complete enough to run on its
own, and made only of locked, unmodified, pure-Python distributions."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from nacl.public import PrivateKey
from packaging.markers import Marker
from packaging.requirements import Requirement

from functions.keyring import KeyringError
from functions.routing import Routing
from tests.support.api import write_desks, write_keyring
from wbs.deploy import package as pkg
from wbs.deploy.package import DISTRIBUTIONS, KEYRING_ENTRY, Package, PackageError, package

# Lambda's python3.12 on arm64, for evaluating the distributions' dependency markers.
LAMBDA = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": "aarch64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "extra": "",
}


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A keyring as `wbs desks` writes one (wbs-keyring/3): one desk and the recovery key
    path = tmp_path_factory.mktemp("keys") / "keyring.json"
    return write_keyring(path, [bytes(PrivateKey.generate().public_key)])


@pytest.fixture(scope="module")
def built(keyring: Path) -> Package:
    return package(keyring)


def test_two_builds_are_byte_identical(keyring: Path, built: Package) -> None:
    again = package(keyring)
    assert again.data == built.data
    assert built.sha256 == hashlib.sha256(built.data).hexdigest()
    assert built.key == f"functions/{built.sha256}.zip"


def test_entries_are_sorted_dated_and_plain(built: Package) -> None:
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and len(names) == built.files
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "/"))]
    # What an installer writes about itself differs between pip and uv: never bundled.
    notes = {"INSTALLER", "RECORD", "REQUESTED", "direct_url.json"}
    assert not [n for n in names if n.split("/")[-1] in notes and ".dist-info/" in n]


def test_holds_the_functions_the_keyring_and_the_locked_distributions(
    keyring: Path, built: Package
) -> None:
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        names = set(archive.namelist())
        assert archive.read(KEYRING_ENTRY) == keyring.read_bytes()
    source = Path(pkg.FUNCTIONS)
    ours = {f"functions/{p.relative_to(source).as_posix()}" for p in source.rglob("*.py")}
    assert ours <= names
    tops = {n.split("/")[0] for n in names}
    assert {"functions", "keys", "aws_lambda_powertools", "boto3", "botocore", "jmespath"} <= tops
    assert {"dateutil", "s3transfer", "six.py", "typing_extensions.py", "urllib3"} <= tops
    # Nothing of the inspector's tool, nothing that decrypts, no server for local use.
    assert not tops & {"wbs", "nacl", "waitress", "jinja2", "click", "rich", "infra", "site"}
    for name in DISTRIBUTIONS:
        version = importlib.metadata.version(name)
        dist_info = f"{name.replace('-', '_')}-{version}.dist-info/METADATA"
        assert dist_info.lower() in {n.lower() for n in names}, name


def test_distributions_are_the_functions_dependency_closure() -> None:
    """Every requirement (on Lambda's python3.12) of the three the function imports, and no
    more."""
    wanted: set[str] = set()
    pending = ["aws-lambda-powertools", "boto3", "ecdsa"]
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(LAMBDA):
                pending.append(pkg._normalise(requirement.name))
    assert sorted(wanted) == sorted(DISTRIBUTIONS)
    assert Marker('python_version >= "3.10"').evaluate(LAMBDA)  # the markers are read


def test_the_zip_runs_on_its_own(tmp_path: Path, built: Package) -> None:
    # Given the zip unpacked as Lambda unpacks it into /var/task
    task = tmp_path / "task"
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        archive.extractall(task)
    # When an isolated interpreter (no venv, no site-packages) imports the handler from it
    script = """
import json, sys
sys.path[:0] = ["."]
import boto3, botocore, ecdsa, functions.app as app
event = json.load(open(sys.argv[1]))
answer = app.lambda_handler(event, None)
print(json.dumps({
    "status": answer["statusCode"],
    "body": answer["body"],
    "boto3": boto3.__file__,
    "botocore": botocore.__version__,
    "nacl": [m for m in sys.modules if m.split(".")[0] in ("nacl", "wbs", "waitress")],
}))
"""
    event = Path(__file__).resolve().parent.parent / "events" / "get_health.json"
    env = {
        "WBS_STORAGE": "s3://wbs-example-data",
        "WBS_KEYRING": "keys/keyring.json",
        "WBS_ROUTING": "keys/routing.json",
        "AWS_DEFAULT_REGION": "ap-southeast-3",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(event)],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    # Then it answers, with the bundled, locked boto3 and nothing that decrypts
    assert result["status"] == 200 and json.loads(result["body"]) == {"ok": True}
    assert result["boto3"].startswith(str(task))
    assert result["botocore"] == importlib.metadata.version("botocore")
    assert result["nacl"] == []


def test_a_private_keyring_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(json.dumps({"format": "wbs-private-key/1"}), encoding="utf-8")
    with pytest.raises(KeyringError):
        package(path)


def fake_distribution(root: Path, *, pure: bool = True) -> Path:
    """An installed distribution ``wbs-fake-dist 1.0`` with a RECORD, in ``root``."""
    module = root / "wbs_fake_dist.py"
    module.write_text("VALUE = 1\n", encoding="utf-8")
    info = root / "wbs_fake_dist-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: wbs-fake-dist\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "WHEEL").write_text(
        f"Wheel-Version: 1.0\nRoot-Is-Purelib: {'true' if pure else 'false'}\n", encoding="utf-8"
    )
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    lines = []
    for path in (module, info / "METADATA", info / "WHEEL", info / "INSTALLER"):
        digest = hashlib.sha256(path.read_bytes()).digest()
        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        lines.append(f"{path.relative_to(root).as_posix()},sha256={b64},{path.stat().st_size}")
    lines.append("wbs_fake_dist-1.0.dist-info/RECORD,,")
    (info / "RECORD").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return module


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_a_checked_distribution_is_copied_without_installer_notes(fake_site: Path) -> None:
    fake_distribution(fake_site)
    files = dict(pkg.distribution_files("wbs-fake-dist", {"wbs-fake-dist": "1.0"}))
    assert sorted(files) == [
        "wbs_fake_dist-1.0.dist-info/METADATA",
        "wbs_fake_dist-1.0.dist-info/WHEEL",
        "wbs_fake_dist.py",
    ]


def test_a_modified_installed_file_is_refused(fake_site: Path) -> None:
    fake_distribution(fake_site).write_text("VALUE = 2\n", encoding="utf-8")
    with pytest.raises(PackageError, match=r"wbs_fake_dist\.py differs from the file"):
        list(pkg.distribution_files("wbs-fake-dist", {"wbs-fake-dist": "1.0"}))


def test_a_version_other_than_the_lock_is_refused(fake_site: Path, tmp_path: Path) -> None:
    fake_distribution(fake_site)
    lock = tmp_path / "requirements.lock"
    lock.write_text("wbs-fake-dist==1.1 \\\n    --hash=sha256:00\n", encoding="utf-8")
    with pytest.raises(PackageError, match=r"wbs-fake-dist 1\.0 is installed, but .* pins 1\.1"):
        list(pkg.distribution_files("wbs-fake-dist", pkg.locked_versions(lock)))


def test_a_compiled_distribution_is_refused(fake_site: Path) -> None:
    fake_distribution(fake_site, pure=False)
    with pytest.raises(PackageError, match="not pure Python"):
        list(pkg.distribution_files("wbs-fake-dist", {"wbs-fake-dist": "1.0"}))


def test_lock_pins_are_read() -> None:
    pins = pkg.locked_versions(pkg.LOCK)
    assert pins["boto3"] == importlib.metadata.version("boto3")
    assert pins["aws-lambda-powertools"] == importlib.metadata.version("aws-lambda-powertools")


def test_routing_whose_desks_no_tag_can_name_is_refused(tmp_path: Path) -> None:
    # Given six desks of the longest ids, and rules that send some reports to all of them
    ids = [c * 48 for c in "abcdef"]
    ring = tmp_path / "keyring.json"
    write_desks(ring, {d: [bytes(PrivateKey.generate().public_key)] for d in ids})
    rules = tmp_path / "routing.json"
    categories = (("semua", tuple(ids[1:])),)
    document = Routing(central=ids[0], categories=categories).to_json()
    rules.write_text(json.dumps(document), encoding="utf-8")
    # Then no zip is built: on S3 their objects' wbs-desks tag would be over 256 characters,
    # and the function would refuse such a report (docs/aws.md)
    with pytest.raises(PackageError, match="over 256 characters"):
        package(ring, routing=rules)
    # And five of them fit
    document = Routing(central=ids[0], categories=(("semua", tuple(ids[1:5])),)).to_json()
    rules.write_text(json.dumps(document), encoding="utf-8")
    assert package(ring, routing=rules).files > 0
