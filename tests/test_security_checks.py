"""Security checks of the repository itself: no private key or secret is tracked, every
security-rule exception says why, and the locked dependencies are scanned for known
vulnerabilities (when a vulnerability database can be reached)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nacl.public
import pytest

from functions.keyring import load

ROOT = Path(__file__).resolve().parent.parent
PEM_PRIVATE = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
AWS_KEY_ID = re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
AWS_SECRET = re.compile(rb"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}")
SECRET_NAMES = re.compile(r"(^|/)(upload-secret|pow-secret|[^/]*\.key|\.env)$")
# 32 bytes as hex or base64: what an X25519 private key looks like in text.
KEY_TOKENS = re.compile(rb"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])|[A-Za-z0-9+/]{43}=")


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing is tracked")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def key_bytes(token: bytes) -> bytes | None:
    try:
        raw = bytes.fromhex(token.decode()) if len(token) == 64 else base64.b64decode(token)
    except (ValueError, binascii.Error):
        return None
    return raw if len(raw) == 32 else None


def findings(files: list[Path], public_keys: set[bytes]) -> list[str]:
    """What in ``files`` looks like a secret: a wbs private key file, a PEM private key, an
    AWS key, a file named like a secret, or the private half of one of ``public_keys``."""
    found = []
    for path in files:
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        if SECRET_NAMES.search(name):
            found.append(f"{name}: named like a secret file")
        if not path.is_file() or path.stat().st_size > 5 << 20:
            continue
        data = path.read_bytes()
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            document = None
        if isinstance(document, dict) and str(document.get("format", "")).startswith(
            "wbs-private-key"
        ):
            found.append(f"{name}: a wbs private key file")
        for pattern, what in (
            (PEM_PRIVATE, "a PEM private key"),
            (AWS_KEY_ID, "an AWS access key id"),
            (AWS_SECRET, "an AWS secret access key"),
        ):
            if pattern.search(data):
                found.append(f"{name}: {what}")
        for token in set(KEY_TOKENS.findall(data)):
            raw = key_bytes(token)
            if raw is not None and bytes(nacl.public.PrivateKey(raw).public_key) in public_keys:
                found.append(f"{name}: the private key of a keyring entry")
    return found


def keyring_public_keys() -> set[bytes]:
    ring = ROOT / "keys" / "keyring.json"
    return {k.public_key_bytes for k in load(ring).keys} if ring.is_file() else set()


def test_no_private_key_or_secret_is_tracked() -> None:
    assert findings(tracked_files(), keyring_public_keys()) == []


def test_the_scan_finds_each_kind_of_secret(tmp_path: Path) -> None:
    # Given one planted file of each kind, and a keyring entry whose private half leaks
    leaked = nacl.public.PrivateKey.generate()
    planted = {
        "inspector.key": b"{}",
        "key.json": json.dumps({"format": "wbs-private-key/1", "box": "..."}).encode(),
        # (made from parts, so that this file does not hold the marker it looks for)
        "id_ed25519": b"-----BEGIN OPENSSH " + b"PRIVATE KEY-----\nb3Blbn...\n",
        "deploy.sh": b"export AWS_ACCESS_KEY_ID=AKIA" + b"Q" * 16 + b"\n",
        "creds.ini": b"aws_secret_access_key = " + b"a" * 40 + b"\n",
        "notes.md": b"secret: " + bytes(leaked).hex().encode() + b"\n",
        "clean.md": b"A public key: " + base64.b64encode(bytes(leaked.public_key)) + b"\n",
    }
    for name, data in planted.items():
        (tmp_path / name).write_bytes(data)
    # When the scan runs over them
    found = findings(sorted(tmp_path.iterdir()), {bytes(leaked.public_key)})
    # Then each is named, and the public key alone is not
    assert sorted(line.split(":")[0] for line in found) == sorted(set(planted) - {"clean.md"})


def test_every_security_rule_exception_says_why() -> None:
    # ruff's S (bandit) rules are on, and each file-wide ignore is explained by a comment
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in config["select"]
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    for pattern, codes in config["per-file-ignores"].items():
        (at,) = [i for i, line in enumerate(lines) if line.startswith(f'"{pattern}"')]
        comments = []
        for line in reversed(lines[:at]):
            if not line.startswith("#"):
                break
            comments.append(line)
        for code in (c for c in codes if c.startswith("S")):
            assert any(code in comment for comment in comments), (pattern, code)
    # and each line that silences one says why, after the code or in a comment just above
    for path in tracked_files():
        if path.suffix != ".py":
            continue
        lines = path.read_text().splitlines()
        for n, line in enumerate(lines):
            for match in re.finditer(r"noqa: (S\d+)(.*)", line):
                above = lines[n - 1].strip() if n else ""
                reason = re.search(r"\w{3}", match[2]) or above.startswith("#")
                assert reason, f"{path.name}:{n + 1} gives no reason"


@pytest.mark.slow  # pip-audit resolves and audits every locked package
def test_locked_python_dependencies_have_no_known_vulnerability() -> None:
    # Every package of requirements.lock is looked up in PyPI's vulnerability data. A
    # package the service cannot find was not audited: then the scan proves nothing, and
    # the test says so rather than passing.
    audit = subprocess.run(
        [
            str(Path(sys.executable).with_name("pip-audit")),
            "--requirement",
            str(ROOT / "requirements.lock"),
            "--disable-pip",
            "--no-deps",
            "--progress-spinner",
            "off",
            "--timeout",
            "10",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(audit.stdout)
    except ValueError:
        pytest.skip(f"blocked: pip-audit could not reach PyPI ({audit.stderr.strip()[-200:]})")
    unaudited = [d["name"] for d in report["dependencies"] if "skip_reason" in d]
    if unaudited:
        pytest.skip(
            f"blocked: PyPI's vulnerability data is not reachable from here; {len(unaudited)}"
            f" of {len(report['dependencies'])} packages could not be audited"
        )
    vulnerable = {d["name"]: [v["id"] for v in d["vulns"]] for d in report["dependencies"]}
    assert {name: ids for name, ids in vulnerable.items() if ids} == {}


def test_locked_npm_packages_have_no_known_vulnerability() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    audit = subprocess.run(
        [npm, "audit", "--prefix", str(ROOT / "site"), "--json", "--omit=dev"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(audit.stdout)
    except ValueError:
        report = {}
    if "metadata" not in report:
        pytest.skip(f"blocked: the npm registry's audit service answered {audit.stdout[:120]!r}")
    assert report["metadata"]["vulnerabilities"]["total"] == 0, report.get("vulnerabilities")
