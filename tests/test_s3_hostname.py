"""S3-compatible storage named by a host name (issue 16, item 1): every S3 client of the
service and of `wbs inbox` names the bucket the same way (functions/storage/addressing.py),
in the path for WBS_S3_ENDPOINT and in the host on AWS, or as WBS_S3_ADDRESSING forces.

The end-to-end check, a browser's report with a file through the nginx-s3.conf route to an
S3 store reached as ``localhost`` and its export byte-identical, is
tests/test_e2e_s3_hostname_browser.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from functions import host
from functions.config import ConfigError, Settings
from functions.storage import S3Storage, addressing
from functions.uploads import S3Uploads
from wbs.backup import stores
from wbs.cli import cli

BUCKET = "wbs-reports"
KEY = "kpu-dki/attachments/0123456789ABCDEF/FEDCBA9876543210"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Presigning needs credentials and a region, and sends nothing.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "wbs-api",
        "AWS_SECRET_ACCESS_KEY": "change-me",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)


def part_url(env: dict[str, str]) -> str:
    """A part URL as the service presigns it with these settings."""
    settings = Settings.from_env({"WBS_STORAGE": f"s3://{BUCKET}/kpu-dki", **env})
    uploads = settings.open_uploads(settings.open_storage())
    assert isinstance(uploads.backend, S3Uploads)
    client = uploads.backend._client
    return client.generate_presigned_url(
        "upload_part",
        Params={"Bucket": BUCKET, "Key": KEY, "UploadId": "u", "PartNumber": 1},
    )


def storage_url(env: dict[str, str]) -> str:
    """Where the service's storage client (the inspector's tool's too) sends a read with
    these settings."""
    settings = Settings.from_env({"WBS_STORAGE": f"s3://{BUCKET}/kpu-dki", **env})
    storage = settings.open_storage()
    assert isinstance(storage, S3Storage)
    return storage._client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": KEY}
    )


def backup_url(env: dict[str, str]) -> str:
    """Where `wbs backup`'s own client sends a write with these settings."""
    settings = Settings.from_env({"WBS_STORAGE": f"s3://{BUCKET}/kpu-dki", **env})
    store = stores.open_store(settings)
    assert isinstance(store, stores.S3Store)
    return store._client.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": KEY})


@pytest.mark.parametrize(
    "endpoint",
    ["http://localhost:9000", "https://minio.example.go.id", "http://127.0.0.1:9000"],
)
def test_an_s3_compatible_endpoint_is_addressed_path_style_by_every_client(
    endpoint: str,
) -> None:
    # Given an S3-compatible endpoint, a host name or an IP address, and no other setting
    env = {"WBS_S3_ENDPOINT": endpoint}
    # Then part URLs and the storage's requests name the bucket in the path, on that host,
    # the route nginx-s3.conf restores
    for url in (part_url(env), storage_url(env), backup_url(env)):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == endpoint, url
        assert parts.path == f"/{BUCKET}/{KEY}", url


def test_aws_is_addressed_virtual_hosted_for_cloudfronts_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given no endpoint (AWS), in Jakarta: parts are signed for the bucket's regional host
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    for url in (part_url({}), storage_url({}), backup_url({})):
        parts = urlsplit(url)
        assert parts.netloc == f"{BUCKET}.s3.ap-southeast-3.amazonaws.com", url
        assert parts.path == f"/{KEY}", url


@pytest.mark.parametrize(
    ("chosen", "netloc", "path"),
    [
        ("path", "localhost:9000", f"/{BUCKET}/{KEY}"),
        ("virtual", f"{BUCKET}.localhost:9000", f"/{KEY}"),
        ("auto", "localhost:9000", f"/{BUCKET}/{KEY}"),
        ("", "localhost:9000", f"/{BUCKET}/{KEY}"),  # empty: unset
    ],
)
def test_wbs_s3_addressing_forces_one_style(chosen: str, netloc: str, path: str) -> None:
    env = {"WBS_S3_ENDPOINT": "http://localhost:9000", "WBS_S3_ADDRESSING": chosen}
    for url in (part_url(env), storage_url(env), backup_url(env)):
        assert (urlsplit(url).netloc, urlsplit(url).path) == (netloc, path), url


@pytest.mark.parametrize("bad", ["Path", "virtual-hosted", "dns", " auto"])
def test_a_bad_addressing_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"WBS_S3_ADDRESSING": bad})
    assert str(caught.value) == (
        f"WBS_S3_ADDRESSING must be one of auto, path, virtual, not {bad!r}"
    )
    assert caught.value.hint is not None and "self-hosting.md" in caught.value.hint


def test_wbs_serve_refuses_a_bad_addressing_before_building_or_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the setting misspelt in the service's environment
    served: list[object] = []
    monkeypatch.setattr(host, "serve", lambda *args: served.append(args))
    monkeypatch.setenv("WBS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WBS_S3_ADDRESSING", "Path")
    out = tmp_path / "site"
    # When the service starts
    result = CliRunner().invoke(cli, ["serve", "--site-out", str(out)])
    # Then it stops with the error, having built and served nothing
    assert result.exit_code != 0
    assert "wbs: error: WBS_S3_ADDRESSING must be one of auto, path, virtual" in result.stderr
    assert served == [] and not out.exists()


def test_the_styles_are_what_botocore_is_given() -> None:
    assert addressing.style(None) == "virtual"
    assert addressing.style("http://localhost:9000") == "path"
    assert addressing.style(None, "path") == "path"
    assert addressing.style("http://localhost:9000", "virtual") == "virtual"
