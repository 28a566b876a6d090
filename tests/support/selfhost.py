"""The self-hosted service (docs/self-hosting.md) as systemd starts it: the ``ExecStart=`` line
of infra/selfhost/wbs.service with the settings of infra/selfhost/wbs.env, their install
folders mapped into a temporary one. Shared by tests/test_selfhost.py, the real reverse
proxies' test (tests/test_selfhost_proxies.py) and bench/bench_slow_phone.py."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.support.host import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
SELFHOST = ROOT / "infra" / "selfhost"
BIN = Path(sys.executable).parent
# Run the command with the kernel's memory-deny-write-execute (PR_SET_MDWE, Linux 6.3+), what
# the unit's MemoryDenyWriteExecute=yes asks for: no mapping may be writable and executable.
LAUNCHER = """
import ctypes, os, sys
on = ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) == 0
print("mdwe:", "on" if on else "unavailable", file=sys.stderr, flush=True)
os.execv(sys.argv[1], sys.argv[1:])
"""


# --- the shipped files, read as systemd and nginx read them -----------------------------------


def unit() -> dict[str, list[str]]:
    """The [Service] section of wbs.service: each key with its values, in order."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in (SELFHOST / "wbs.service").read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif line and not line.startswith("#") and section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def env_file(s3: bool = False) -> dict[str, str]:
    """wbs.env as systemd's EnvironmentFile= reads it; ``s3``: with the lines of its S3 section
    uncommented, as the document says to do (a later line overrides an earlier one)."""
    values: dict[str, str] = {}
    in_s3 = False
    for line in (SELFHOST / "wbs.env").read_text().splitlines():
        in_s3 = in_s3 or line.startswith("# S3-compatible storage")
        if s3 and in_s3 and re.fullmatch(r"#[A-Z][A-Z0-9_]*=.*", line):
            line = line[1:]
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


NGINX_TOKEN = re.compile(r"""#[^\n]*|"([^"]*)"|'([^']*)'|([;{}])|([^\s;{}"'#]+)""")


def nginx_directives(name: str) -> list[list[str]]:
    """Each directive of an nginx file as its words (quotes resolved), comments dropped; a
    block's opening directive (``location /attachments/``) is one too."""
    directives: list[list[str]] = []
    words: list[str] = []
    for match in NGINX_TOKEN.finditer((SELFHOST / name).read_text()):
        double, single, end, word = match.groups()
        if end:
            directives += [words] if words else []
            words = []
        elif match[0][0] != "#":
            words.append(next(w for w in (double, single, word) if w is not None))
    return directives


def exec_start() -> list[str]:
    (line,) = unit()["ExecStart"]
    return shlex.split(line)


def port() -> int:
    """The port of ExecStart=: where the proxies' configs send requests."""
    command = exec_start()
    return int(command[command.index("--port") + 1])


# --- the self-hosted server ---------------------------------------------------------------------


def start(base: Path, env_overrides: dict[str, str], env_values: dict[str, str]) -> Any:
    """Start ExecStart= as systemd would: a clean environment of Environment= and the
    environment file, the install folders mapped into ``base``, on a free port. Returns
    ``process``, ``port``, ``log`` and ``env`` once /api/health answers."""
    paths = {
        "/opt/wbs/.venv/bin": str(BIN),
        "/opt/wbs": str(ROOT),
        "/var/lib/wbs": str(base / "state"),
        "/var/cache/wbs": str(base / "cache"),
    }

    def mapped(value: str) -> str:
        for old, new in paths.items():
            value = value.replace(old, new)
        return value

    for name in ("state", "cache"):  # StateDirectory=, CacheDirectory=: made by systemd, 0700
        (base / name).mkdir(mode=0o700)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "LANG": "C.UTF-8"}
    for word in (w for line in unit()["Environment"] for w in shlex.split(line)):
        name, _, value = word.partition("=")
        env[name] = value
    env.update({name: mapped(value) for name, value in env_values.items()})
    env.update(env_overrides)
    command = [mapped(word) for word in exec_start()]
    command[command.index("--port") + 1] = str(listen := free_port())
    (workdir,) = unit()["WorkingDirectory"]
    log = base / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, *command],
            env=env,
            cwd=mapped(workdir),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_health(process, listen, log)  # kills it if it does not answer
    return SimpleNamespace(process=process, port=listen, log=log, env=env)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # what systemctl stop sends
    process.wait(timeout=10)
