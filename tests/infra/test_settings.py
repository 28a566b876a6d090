"""The [deployment] table (wbs/config/deployment.py): every field checked, each mistake named
by its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.errors import WbsError
from functions.uploads import Limits
from wbs import config
from wbs.config import ConfigFileError, Deployment, deployment, file

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
FULL = f"""
[deployment]
stack_name = "wbs-inspektorat"
region = "eu-central-1"
notify_email = "inspektorat@example.go.id"
retention_days = 3650
throttle_rate = 50
throttle_burst = 100
domain = "wbs.example.go.id"
certificate_arn = "{CERTIFICATE}"
object_lock = "governance"
object_lock_days = 730
alarm_storage_gib = 500
alarm_objects = 20000
bill_alarm_usd = 75
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path) -> Deployment:
    return config.load_deployment(path).deployment


def test_every_field(tmp_path: Path) -> None:
    assert load(write(tmp_path, FULL)) == Deployment(
        stack_name="wbs-inspektorat",
        region="eu-central-1",
        notify_email="inspektorat@example.go.id",
        retention_days=3650,
        throttle_rate=50,
        throttle_burst=100,
        domain="wbs.example.go.id",
        certificate_arn=CERTIFICATE,
        object_lock="governance",
        object_lock_days=730,
        alarm_storage_gib=500,
        alarm_objects=20000,
        bill_alarm_usd=75,
    )


def test_only_the_stack_name_is_required(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, '[deployment]\nstack_name = "wbs"\n'))
    assert loaded == Deployment("wbs", "ap-southeast-3", "", 0, 10, 20, "", "")
    # No Object Lock, alarms at 100 GiB and a million objects, no bill alarm
    assert (loaded.object_lock, loaded.object_lock_days) == ("off", 365)
    assert (loaded.alarm_storage_gib, loaded.alarm_objects, loaded.bill_alarm_usd) == (
        100,
        1_000_000,
        0,
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[institution]\nname = "x"\n', "has no [deployment] table"),
        ("deployment = 3\n", "deployment must be a table"),
        ("[deployment]\n", "deployment.stack_name is missing"),
        ('[deployment]\nstack_name = "wbs"\nregoin = "x"\n', "unknown field 'regoin'"),
        ('[deployment]\nstack_name = ""\n', "deployment.stack_name must be"),
        ('[deployment]\nstack_name = "1wbs"\n', "deployment.stack_name must be"),
        ('[deployment]\nstack_name = "wbs_prod"\n', "deployment.stack_name must be"),
        (f'[deployment]\nstack_name = "{"w" * 129}"\n', "deployment.stack_name must be"),
        ('[deployment]\nstack_name = "wbs"\nregion = "jakarta"\n', "deployment.region must be"),
        ('[deployment]\nstack_name = "wbs"\nregion = ""\n', "deployment.region must be"),
        ('[deployment]\nstack_name = "wbs"\nnotify_email = "nobody"\n', "deployment.notify_email"),
        (
            '[deployment]\nstack_name = "wbs"\nnotify_email = "a b@x.id"\n',
            "deployment.notify_email",
        ),
        ('[deployment]\nstack_name = "wbs"\nretention_days = -1\n', "deployment.retention_days"),
        ('[deployment]\nstack_name = "wbs"\nretention_days = true\n', "deployment.retention_days"),
        ('[deployment]\nstack_name = "wbs"\nretention_days = "30"\n', "deployment.retention_days"),
        ('[deployment]\nstack_name = "wbs"\nthrottle_rate = 0\n', "deployment.throttle_rate"),
        ('[deployment]\nstack_name = "wbs"\nthrottle_rate = 1.5\n', "deployment.throttle_rate"),
        ('[deployment]\nstack_name = "wbs"\nthrottle_burst = 5001\n', "deployment.throttle_burst"),
        ('[deployment]\nstack_name = "wbs"\ndomain = "WBS.example.go.id"\n', "deployment.domain"),
        ('[deployment]\nstack_name = "wbs"\ndomain = "localhost"\n', "deployment.domain"),
        ('[deployment]\nstack_name = "wbs"\ndomain = "-a.example.id"\n', "deployment.domain"),
        ('[deployment]\nstack_name = "wbs"\ndomain = 7\n', "deployment.domain"),
        ('[deployment]\nstack_name = "wbs"\ndomain = "wbs.example.go.id"\n', "go together"),
        (
            '[deployment]\nstack_name = "wbs"\ndomain = "wbs.example.go.id"\n'
            'certificate_arn = "arn:aws:acm:ap-southeast-3:123456789012:certificate/'
            '0a1b2c3d-4e5f-6789-abcd-ef0123456789"\n',
            "deployment.certificate_arn must be an ACM certificate ARN in us-east-1",
        ),
        (
            '[deployment]\nstack_name = "wbs"\ncertificate_arn = "arn:aws:acm:us-east-1:'
            '123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"\n',
            "go together",
        ),
        ('[deployment]\nstack_name = "wbs"\nobject_lock = "on"\n', "deployment.object_lock"),
        ('[deployment]\nstack_name = "wbs"\nobject_lock = true\n', "deployment.object_lock"),
        (
            '[deployment]\nstack_name = "wbs"\nobject_lock_days = 0\n',
            "deployment.object_lock_days",
        ),
        (
            '[deployment]\nstack_name = "wbs"\nalarm_storage_gib = 0\n',
            "deployment.alarm_storage_gib",
        ),
        ('[deployment]\nstack_name = "wbs"\nalarm_objects = 1.5\n', "deployment.alarm_objects"),
        ('[deployment]\nstack_name = "wbs"\nbill_alarm_usd = -1\n', "deployment.bill_alarm_usd"),
        ("[deployment\n", "is not valid TOML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as caught:
        load(path)
    error = caught.value
    message = str(error)
    assert message.startswith(f"{path}: ") and named in message
    assert "\n" not in message and isinstance(error, (WbsError, ValueError))
    # A field's mistake names it and points at the [deployment] example; a file that is not
    # TOML at the file's own comments.
    if error.field is None:
        assert error.hint == file.HINT
    else:
        assert error.field.startswith("deployment") and error.hint == deployment.HINT


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="no config file at"):
        load(tmp_path / "absent.toml")


def test_upload_limits_come_from_the_file_not_the_admins_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file that sets the files per case, and an admin shell that sets another value
    path = write(tmp_path, '[deployment]\nstack_name = "wbs"\n[uploads]\nmax_files = 7\n')
    monkeypatch.setenv("WBS_UPLOAD_MAX_FILES", "99")
    # Then the deployment takes the file's: the page built from the same file says 7
    limits = config.load_deployment(path).uploads
    assert limits.max_files == 7
    assert limits.part_bytes == Limits().part_bytes
