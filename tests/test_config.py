"""Settings from the environment, and the storage a URL names."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.config import ConfigError, Settings, open_storage
from functions.errors import WbsError
from functions.proofs import DEFAULT_DIFFICULTY
from functions.storage import LocalStorage, S3Storage


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings.from_env({})
    assert settings == Settings(
        storage_url=f"local:{tmp_path}/.local/share/wbs/storage",
        keyring_path=Path("keys/keyring.json"),
        s3_endpoint=None,
        home=tmp_path / ".local/share/wbs",
        pow_difficulty=DEFAULT_DIFFICULTY,
    )


def test_from_environment() -> None:
    env = {
        "WBS_HOME": "/srv/wbs",
        "WBS_KEYRING": "/etc/wbs/keyring.json",
        "WBS_S3_ENDPOINT": "https://s3.example.go.id",
    }
    assert Settings.from_env(env) == Settings(
        "local:/srv/wbs/storage",
        Path("/etc/wbs/keyring.json"),
        "https://s3.example.go.id",
        home=Path("/srv/wbs"),
        pow_difficulty=DEFAULT_DIFFICULTY,
    )
    assert Settings.from_env({**env, "WBS_STORAGE": "s3://b-1/x"}).storage_url == "s3://b-1/x"


def test_empty_variables_mean_default() -> None:
    env = {"WBS_HOME": "/h", "WBS_STORAGE": "", "WBS_KEYRING": "", "WBS_S3_ENDPOINT": ""}
    assert Settings.from_env(env) == Settings(
        "local:/h/storage",
        Path("keys/keyring.json"),
        home=Path("/h"),
        pow_difficulty=DEFAULT_DIFFICULTY,
    )


def test_local_url(tmp_path: Path) -> None:
    store = open_storage(f"local:{tmp_path}/s")
    assert isinstance(store, LocalStorage) and store.root == tmp_path / "s"


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://wbs-reports", "wbs-reports", ""),
        ("s3://wbs.reports/prod/a/", "wbs.reports", "prod/a/"),
    ],
)
def test_s3_url(monkeypatch: pytest.MonkeyPatch, url: str, bucket: str, prefix: str) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    store = open_storage(url, "http://127.0.0.1:9000")
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix) == (bucket, prefix)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/var/wbs",
        "file:///var/wbs",
        "local:",
        "s3://",
        "s3://B",
        "s3://x",
        "s3://b-1/../x",
        "s3://b-1//x",
        "s3://b-1/a b",
        "S3://bucket",
        "gs://bucket",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_storage(url)
    assert isinstance(caught.value, WbsError | ValueError)
    assert caught.value.hint and "WBS_STORAGE" in caught.value.hint
