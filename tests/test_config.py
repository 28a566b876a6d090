"""Settings from the environment, the storage a URL names, and the one reader of the config
file (wbs/config/): a bad value in any table is refused naming the file and its dotted field."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from functions.config import ConfigError, Settings, open_storage
from functions.errors import WbsError
from functions.proofs import DEFAULT_DIFFICULTY
from functions.storage import LocalStorage, S3Storage
from wbs import config, paths
from wbs.config import ConfigFileError, Deployment, deployment
from wbs.deadlines import DEFAULT_RULES, Period, deadline


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


# A file every table of which is valid; each case below spoils one value of one table.
VALID = """languages = ["id", "en"]
[institution]
name = "Inspektorat"
contact = {id = "Jalan 1", en = "Road 1"}
[[categories]]
id = "korupsi"
label = {id = "Korupsi", en = "Corruption"}
[deadlines]
acknowledge = {count = 7, unit = "days"}
holidays = ["2026-08-17"]
[uploads]
part_size = "8 MiB"
max_files = 20
[proof_of_work]
difficulty = 18
[deployment]
stack_name = "wbs"
region = "ap-southeast-3"
"""


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('languages = ["id", "en"]', 'languages = ["fr"]', "languages"),
        ('name = "Inspektorat"', 'name = ""', "institution.name"),
        ('en = "Road 1"', 'en = ""', "institution.contact.en"),
        ('id = "korupsi"', 'id = "Korupsi!"', "categories[1].id"),
        ('en = "Corruption"', "en = 5", "categories[1].label.en"),
        ('unit = "days"', 'unit = "weeks"', "deadlines.acknowledge.unit"),
        ('"2026-08-17"', '"17-08-2026"', "deadlines.holidays"),
        ('part_size = "8 MiB"', 'part_size = "8 MB"', "uploads.part_size"),
        ("max_files = 20", "max_files = 0", "uploads.max_files"),
        ("difficulty = 18", "difficulty = 29", "proof_of_work.difficulty"),
        ('region = "ap-southeast-3"', 'region = "jakarta"', "deployment.region"),
        ('stack_name = "wbs"', 'stack_name = "wbs"\ncolour = "red"', "deployment.colour"),
    ],
)
def test_a_bad_value_in_any_table_is_refused_naming_its_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    # Given a valid file with one value spoiled
    path = tmp_path / "config.toml"
    path.write_text(VALID, encoding="utf-8")
    config.load_all(path)
    assert old in VALID
    path.write_text(VALID.replace(old, new, 1), encoding="utf-8")
    # When the build reads it, Then one error names the file and the dotted field
    with pytest.raises(ConfigFileError) as caught:
        config.load_all(path)
    error = caught.value
    assert error.field == field and str(error).startswith(f"{path}: ")
    # the message names the field, or for an unknown one its table and its name
    table, _, name = field.rpartition(".")
    assert field in str(error) or (f"{table} has an unknown field {name!r}" in str(error))
    assert error.hint and isinstance(error, WbsError | ValueError)


def test_a_bad_table_is_refused_by_the_reader_that_asks_for_it(tmp_path: Path) -> None:
    # Given a file whose [uploads] table is wrong and whose [institution] table is missing
    path = tmp_path / "config.toml"
    path.write_text("[uploads]\npart_size = '1 MiB'\n", encoding="utf-8")
    # Then the deadlines reader (wbs inbox) has what it needs
    assert config.load(path) == DEFAULT_RULES
    # And the upload limits and the build refuse the file, naming the table
    for read in (lambda: config.upload_limits(path, {}), lambda: config.load_all(path)):
        with pytest.raises(ConfigFileError, match=r"uploads: the part size") as caught:
            read()
        assert caught.value.field == "uploads"


# -- the shipped files ------------------------------------------------------------------------

SHIPPED = [config.DEFAULT_PATH, paths.PROJECT_ROOT / "site" / "examples" / "kpu.toml"]


@pytest.mark.parametrize("path", SHIPPED, ids=["config.toml", "kpu.toml"])
def test_the_shipped_deadlines_are_indonesian_working_days_named_by_their_source(
    path: Path,
) -> None:
    # The recommended defaults of an Indonesian inspectorate, the built-in ones too
    rules = config.load(path)
    assert rules.acknowledge == Period(5, "working_days") == DEFAULT_RULES.acknowledge
    assert rules.feedback == Period(30, "working_days") == DEFAULT_RULES.feedback
    assert rules == config.load(config.DEFAULT_PATH)
    # Each value has its source beside it
    text = path.read_text(encoding="utf-8")
    table = text[text.index("[deadlines]") :]
    ack, feedback = table.index("acknowledge ="), table.index("feedback =")
    assert "PKBP 8/2022" in table[:ack] and "SP4N-LAPOR!" in table[:ack]
    assert "BPKP" in table[ack:feedback] and "30 hari kerja" in table[ack:feedback]
    # The 2026 holidays are the SKB's 17 holidays and 8 cuti bersama days
    assert "SKB" in table[feedback:]
    assert len({day for day in rules.holidays if day.year == 2026}) == 25
    # A report received on Tuesday 17 March 2026 is acknowledged after Nyepi and the Idul
    # Fitri leave (18 to 24 March): 25, 26, 27, 30 and 31 March are its 5 working days
    day = datetime.date
    assert deadline(day(2026, 3, 17), rules.acknowledge, rules.holidays) == day(2026, 3, 31)


def test_the_shipped_deployment_table_is_commented_with_every_key_and_its_default(
    tmp_path: Path,
) -> None:
    # As shipped, the file deploys nothing
    with pytest.raises(ConfigFileError, match="no \\[deployment\\] table"):
        config.load_deployment(None)
    # And its commented table names every key the reader takes
    text = config.DEFAULT_PATH.read_text(encoding="utf-8")
    lines = text[text.index("# [deployment]") :].splitlines()
    settings = [line[2:] for line in lines if re.match(r"# (\[deployment\]|\w+ = )", line)]
    assert {line.split(" = ")[0] for line in settings[1:]} == deployment.FIELDS
    # When it is uncommented, Then it deploys with the reader's own defaults
    path = tmp_path / "config.toml"
    path.write_text(text + "\n".join(settings) + "\n", encoding="utf-8")
    assert config.load_deployment(path).deployment == Deployment(stack_name="wbs-inspektorat")
