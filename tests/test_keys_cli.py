"""`wbs keys`: inspector key pairs, their files, and the public keyring."""

from __future__ import annotations

import base64
import dataclasses
import json
import stat
import subprocess
from pathlib import Path

import nacl.pwhash.argon2id as argon2id
import pytest
from click.testing import CliRunner
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey

from functions import keyring
from tests.support.inbox import write_format_1_key
from wbs import keyfile, xwing
from wbs.cache import Cache
from wbs.cli import cli
from wbs.crypto import Identity, fingerprint, key_id
from wbs.desks import recovery

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private WBS_HOME, a working folder outside any repository, and a fast Argon2id."""
    monkeypatch.setattr(keyfile, "OPSLIMIT", argon2id.OPSLIMIT_INTERACTIVE)
    monkeypatch.setattr(keyfile, "MEMLIMIT", argon2id.MEMLIMIT_INTERACTIVE)
    for name in ("WBS_PASSPHRASE", "WBS_KEYRING", "WBS_KEY", "WBS_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WBS_HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path / "home"


def new_key(*args: str, passphrase: str = PASSPHRASE, keyring_path: str = "ring.json"):
    typed = f"{passphrase}\n{passphrase}\n"
    return CliRunner().invoke(
        cli, ["keys", "new", "--keyring", keyring_path, *args], input=typed, prog_name="wbs"
    )


def test_new_key_file_is_0600_and_entry_matches(home: Path) -> None:
    # When an inspector creates a key
    result = new_key("--label", "Inspektur Wilayah I")

    # Then the private key sits in $WBS_HOME/keys, readable by its owner only
    assert result.exit_code == 0, result.output
    (path,) = (home / "keys").glob("*.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # And the keyring holds the matching public entry
    identity = keyfile.unlock(path, PASSPHRASE)
    (entry,) = keyring.load(Path("ring.json")).keys
    assert entry.kid == key_id(identity.public_key) == path.stem
    assert entry.fingerprint == fingerprint(identity.public_key)
    assert entry.label == "Inspektur Wilayah I" and entry.active
    # And the kid and the fingerprint, grouped by 4, are printed
    assert entry.kid in result.stdout
    assert " ".join(entry.fingerprint[i : i + 4] for i in range(0, 64, 4)) in result.stdout
    assert f"wbs desks init --member {entry.kid}" in result.stdout
    # And the key file holds no private material in the clear
    document = json.loads(path.read_text())
    assert document["format"] == "wbs-private-key/3"
    assert bytes(identity.private_key).hex() not in path.read_text()
    # And it holds a signing key too, whose public half the keyring lists
    assert identity.signing_key is not None and identity.verify_key is not None
    assert entry.signing_key_bytes == identity.verify_key
    assert document["signing_key"] == entry.signing_key
    assert bytes(identity.signing_key).hex() not in path.read_text()
    assert json.loads(Path("ring.json").read_text())["format"] == "wbs-keyring/4"


def test_second_key_is_appended(home: Path) -> None:
    assert new_key("--label", "Satu").exit_code == 0
    assert new_key("--label", "Dua").exit_code == 0

    ring = keyring.load(Path("ring.json"))
    assert [k.label for k in ring.keys] == ["Satu", "Dua"]
    assert {k.kid for k in ring.keys} == {p.stem for p in (home / "keys").glob("*.key")}


def test_keys_list_shows_the_keyring() -> None:
    new_key("--label", "Satu")
    result = CliRunner().invoke(cli, ["keys", "list", "--keyring", "ring.json"])
    (entry,) = keyring.load(Path("ring.json")).keys
    assert result.exit_code == 0
    assert entry.kid in result.stdout and "Satu" in result.stdout and "yes" in result.stdout


def test_keys_list_says_which_keys_can_be_granted_a_hybrid_desk() -> None:
    # Given a key made now (hybrid) and one whose keyring entry has no X-Wing key (an older
    # key, not upgraded)
    new_key("--label", "Satu")
    new_key("--label", "Dua")
    path = Path("ring.json")
    document = json.loads(path.read_text())
    document["keys"][1]["xwing_key"] = None
    path.write_text(json.dumps(document))
    # When the keyring is listed, the last column tells them apart
    result = CliRunner().invoke(cli, ["keys", "list", "--keyring", "ring.json"])
    assert result.exit_code == 0, result.output
    first, second = keyring.load(path).keys
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in result.stdout.splitlines()]
    hybrid = {row[0]: row[-1] for row in cells if row and row[0]}
    assert hybrid == {first.kid: "yes", second.kid: "no"}
    assert "hybrid ┃" in result.stdout
    assert "cannot be granted a hybrid desk" not in result.stderr  # no hybrid desk yet
    # And once a desk is hybrid, the key that is not is named, with what its holder runs
    master = recovery.new_master()
    rescuer = recovery.identity(master)
    assert rescuer.xwing is not None
    ring = (
        keyring.load(path)
        .with_recovery(
            keyring.RecoveryEntry.for_public_key(
                rescuer.public_key,
                rescuer.verify_key or b"",
                recovery.LABEL,
                "2026-12-06",
                3,
                5,
                rescuer.xwing.public_key,
            )
        )
        .with_desk(
            keyring.DeskEntry.for_public_key(
                "inspektorat", 1, xwing.DecapsulationKey.generate().public_key, "2026-12-06"
            )
        )
    )
    keyring.dump(ring, path)
    noted = CliRunner().invoke(cli, ["keys", "list", "--keyring", "ring.json"])
    assert noted.exit_code == 0, noted.output
    assert (
        f"wbs: note: {second.kid} cannot be granted a hybrid desk until their holders run:"
        " wbs keys upgrade"
    ) in noted.stderr


def keys_cmd(*args: str):
    return CliRunner().invoke(cli, ["keys", *args, "--keyring", "ring.json"], prog_name="wbs")


def test_a_key_is_retired_and_activated_again_by_id_or_fingerprint() -> None:
    # Given two active keys
    new_key("--label", "Satu")
    new_key("--label", "Dua")
    first, second = keyring.load(Path("ring.json")).keys
    # When the first is retired by its key id
    result = keys_cmd("retire", first.kid)
    # Then only the second is active, and the first is still in the keyring
    assert result.exit_code == 0, result.output
    ring = keyring.load(Path("ring.json"))
    assert [k.kid for k in ring.active()] == [second.kid]
    assert ring.keys[0] == dataclasses.replace(first, active=False)
    # When it is activated again by its fingerprint, read aloud in groups
    spaced = " ".join(first.fingerprint[i : i + 4] for i in range(0, 16, 4))
    assert keys_cmd("activate", spaced).exit_code == 0
    assert keyring.load(Path("ring.json")).keys == (first, second)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("retire", "0000000000000000"), "no key in the keyring"),
        (("retire", "abc"), "no key in the keyring"),
        (("activate", "{kid}"), "already active"),
        (("retire", "{kid}"), "last active key"),
    ],
)
def test_retire_and_activate_refuse_and_change_nothing(args: tuple[str, str], message: str) -> None:
    new_key("--label", "Satu")
    (entry,) = keyring.load(Path("ring.json")).keys
    before = Path("ring.json").read_bytes()
    result = keys_cmd(args[0], args[1].format(kid=entry.kid))
    assert result.exit_code != 0
    assert message in result.output and "hint:" in result.output
    assert Path("ring.json").read_bytes() == before


def test_with_desks_a_new_key_waits_for_a_grant_and_a_retired_one_leaves_its_desks(
    tmp_path: Path,
) -> None:
    # Given a keyring whose desks are set up
    assert new_key("--label", "Satu").exit_code == 0
    (first,) = keyring.load(Path("ring.json")).keys
    sheets = ["--sheets", str(tmp_path / "sheets"), "--storage", f"local:{tmp_path / 'store'}"]
    setup = ["desks", "init", f"--member={first.kid}", "--keyring", "ring.json", *sheets]
    assert CliRunner().invoke(cli, setup).exit_code == 0
    # When a second key is made, it is told who grants it a desk
    result = new_key("--label", "Dua")
    second = keyring.load(Path("ring.json")).keys[1]
    assert f"wbs desks add-member --desk inspektorat --member {second.kid}" in result.stdout
    # And when the first is retired, it is told that its desks are not taken away by that
    result = keys_cmd("retire", first.kid)
    assert result.exit_code == 0, result.output
    assert f"wbs desks remove-member --desk ID --member {first.kid}" in result.stdout


def test_passphrase_from_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    result = CliRunner().invoke(cli, ["keys", "new", "--keyring", "ring.json"])
    assert result.exit_code == 0, result.output
    (path,) = (home / "keys").glob("*.key")
    keyfile.unlock(path, PASSPHRASE)


def test_short_passphrase_is_refused(home: Path) -> None:
    result = new_key(passphrase="too short")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "wbs: error: the passphrase is shorter than 12 characters",
        "hint: choose a longer one: four or five unrelated words are strong and easy to recall",
    ]
    assert not (home / "keys").exists() or not list((home / "keys").iterdir())
    assert not Path("ring.json").exists()


@pytest.mark.parametrize("folder", ["repo", "repo/deep/er"])
def test_out_inside_a_git_work_tree_is_refused(tmp_path: Path, folder: str) -> None:
    # Given a git work tree
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    # When the key would be written inside it
    result = new_key("--out", str(tmp_path / folder / "mine.key"))
    # Then nothing is written and the error says why
    assert result.exit_code == 1
    assert "inside the git work tree" in result.stderr
    assert "hint: keep private keys outside the repository" in result.stderr
    assert not list(repo.rglob("*.key")) and not Path("ring.json").exists()


@pytest.mark.parametrize("folder", ["keys", "site"])
def test_out_under_keys_or_site_is_refused(folder: str) -> None:
    Path(folder).mkdir()
    result = new_key("--out", f"{folder}/mine.key", keyring_path="keys/keyring.json")
    assert result.exit_code == 1
    assert "wbs: error: refusing to write a private key under" in result.stderr
    assert "hint:" in result.stderr
    assert not Path(folder, "mine.key").exists()


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "mine.key"
    target.parent.mkdir()
    target.write_text("precious")

    result = new_key("--out", str(target))

    assert result.exit_code == 1
    assert "already exists" in result.stderr and "hint:" in result.stderr
    assert target.read_text() == "precious"
    assert not Path("ring.json").exists()


def test_wrong_passphrase_speaks_in_one_voice(home: Path) -> None:
    # Given a key, and a cached report so that `inbox list` must unlock the key
    new_key()
    (path,) = (home / "keys").glob("*.key")
    cache = Cache.for_storage("local:/nowhere")
    cache.folder.mkdir(parents=True)
    (cache.folder / "0123456789ABCDEF.json").write_text("{}")
    # When the wrong passphrase is typed
    result = CliRunner().invoke(
        cli, ["inbox", "list", "--storage", "local:/nowhere"], input="not the passphrase\n"
    )
    # Then one error line, one hint line, no traceback
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"wbs: error: wrong passphrase for {path}",
        "hint: type it again, exactly as chosen at `wbs keys new` (it is case-sensitive)",
    ]
    assert "Traceback" not in result.output


def test_key_file_whose_secret_does_not_match_its_public_key(home: Path) -> None:
    new_key()
    (path,) = (home / "keys").glob("*.key")
    document = json.loads(path.read_text())
    other = keyfile.generate()
    document["public_key"] = base64.b64encode(other.public_key).decode()
    document["kid"] = other.kid
    path.write_text(json.dumps(document))
    with pytest.raises(keyfile.KeyFileError, match="does not match the public key"):
        keyfile.unlock(path, PASSPHRASE)


# -- format 1 key files: read, and upgraded in place -------------------------------------


def format_1_key(path: Path, label: str = "Lama") -> PrivateKey:
    """A key file as `wbs keys new` wrote them before keys could sign, and its keyring entry
    (a wbs-keyring/1 document, as it was then)."""
    secret = PrivateKey.generate()
    write_format_1_key(path, secret, PASSPHRASE, label)
    public = bytes(secret.public_key)
    entry = dataclasses.asdict(keyring.KeyEntry.for_public_key(public, label, "2026-01-02"))
    del entry["signing_key"], entry["xwing_key"]
    Path("ring.json").write_text(json.dumps({"format": "wbs-keyring/1", "keys": [entry]}))
    return secret


def upgrade(*args: str, passphrase: str = PASSPHRASE):
    return CliRunner().invoke(
        cli, ["keys", "upgrade", "--keyring", "ring.json", *args], input=f"{passphrase}\n"
    )


def test_a_format_1_key_reads_and_cannot_sign_until_upgraded(home: Path) -> None:
    # Given a key made before keys could sign, and the keyring of that time
    path = home / "keys" / "old.key"
    secret = format_1_key(path)
    identity = keyfile.unlock(path, PASSPHRASE)
    (entry,) = keyring.load(Path("ring.json")).keys
    assert bytes(identity.private_key) == bytes(secret)
    assert identity.signing_key is None and entry.signing_key is None
    listed = CliRunner().invoke(cli, ["keys", "list", "--keyring", "ring.json"])
    assert f"{entry.kid} cannot sign" in listed.stderr and "wbs keys upgrade" in listed.stderr

    # When its holder upgrades it, with the passphrase they have
    result = upgrade("--key", str(path))

    # Then the file holds the same X25519 key and a new signing key, under the same passphrase
    assert result.exit_code == 0, result.output
    upgraded = keyfile.unlock(path, PASSPHRASE)
    assert bytes(upgraded.private_key) == bytes(secret)
    assert upgraded.kid == entry.kid and upgraded.verify_key is not None
    assert json.loads(path.read_text())["format"] == "wbs-private-key/3"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["old.key"]  # no temporary file left
    # And the keyring lists the public signing and X-Wing keys, the rest unchanged
    (after,) = keyring.load(Path("ring.json")).keys
    assert after.signing_key_bytes == upgraded.verify_key
    assert upgraded.xwing is not None and after.xwing_key_bytes == upgraded.xwing.public_key
    assert dataclasses.replace(after, signing_key=None, xwing_key=None) == entry
    assert json.loads(Path("ring.json").read_text())["format"] == "wbs-keyring/4"
    assert after.signing_key in result.stdout and "wbs deploy" in result.stdout


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong passphrase", "wrong passphrase for"),
        ("not in the keyring", "is not in ring.json"),
        ("already upgraded", "already holds a signing key and an X-Wing key"),
    ],
)
def test_a_refused_upgrade_changes_nothing(home: Path, case: str, message: str) -> None:
    path = home / "keys" / "old.key"
    format_1_key(path)
    if case == "not in the keyring":
        Path("ring.json").write_text(json.dumps({"format": "wbs-keyring/1", "keys": []}))
    if case == "already upgraded":
        assert upgrade("--key", str(path)).exit_code == 0
    before = (path.read_bytes(), Path("ring.json").read_bytes())

    result = upgrade("--key", str(path), passphrase="not the passphrase at all")

    assert result.exit_code == 1 and message in result.stderr, result.output
    assert (path.read_bytes(), Path("ring.json").read_bytes()) == before


def test_a_keyring_entry_with_a_malformed_signing_key_is_refused(home: Path) -> None:
    assert new_key().exit_code == 0
    document = json.loads(Path("ring.json").read_text())
    document["keys"][0]["signing_key"] = base64.b64encode(b"short").decode()
    with pytest.raises(keyring.KeyringError, match="signing_key must be 32 bytes"):
        keyring.parse(json.dumps(document))
    # A format 1 keyring may not carry the field, and format 2 must
    del document["desks"], document["recovery"]
    document["format"] = "wbs-keyring/1"
    with pytest.raises(keyring.KeyringError, match="must have exactly"):
        keyring.parse(json.dumps(document))
    del document["keys"][0]["signing_key"]
    document["format"] = "wbs-keyring/2"
    with pytest.raises(keyring.KeyringError, match="must have exactly"):
        keyring.parse(json.dumps(document))


def test_a_key_file_whose_signing_key_does_not_match_is_refused(home: Path) -> None:
    new_key()
    (path,) = (home / "keys").glob("*.key")
    document = json.loads(path.read_text())
    document["signing_key"] = base64.b64encode(bytes(32)).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(keyfile.KeyFileError, match="does not match the public key"):
        keyfile.unlock(path, PASSPHRASE)


# -- format 2 key files: upgraded to hybrid (format 3) in place ---------------------------


def format_2_key(path: Path, label: str = "Inspektur") -> Identity:
    """A key file as `wbs keys new` wrote them before hybrid keys (format 2: X25519 and
    Ed25519 sealed together), and its keyring entry (wbs-keyring/3, as it was then)."""
    old = Identity(PrivateKey.generate(), SigningKey.generate())
    salt = bytes(range(argon2id.SALTBYTES))
    limits = {"opslimit": argon2id.OPSLIMIT_INTERACTIVE, "memlimit": argon2id.MEMLIMIT_INTERACTIVE}
    key = argon2id.kdf(32, PASSPHRASE.encode(), salt, **limits)
    sealed = SecretBox(key).encrypt(bytes(old.private_key) + bytes(old.signing_key or b""))
    document = {
        "format": "wbs-private-key/2",
        "kid": old.kid,
        "public_key": base64.b64encode(old.public_key).decode(),
        "signing_key": base64.b64encode(old.verify_key or b"").decode(),
        "label": label,
        "kdf": {"alg": "argon2id13", **limits, "salt": base64.b64encode(salt).decode()},
        "box": base64.b64encode(bytes(sealed)).decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    path.chmod(0o600)
    Path("ring.json").write_text(
        json.dumps(
            {"format": "wbs-keyring/3", "keys": [_v3_entry(old)], "desks": [], "recovery": None}
        )
    )
    return old


def test_a_format_2_key_is_upgraded_to_hybrid_keeping_passphrase_and_keys(home: Path) -> None:
    # Given a format 2 key file, which has no X-Wing key
    path = home / "keys" / "two.key"
    old = format_2_key(path)
    before = keyfile.unlock(path, PASSPHRASE)
    assert before.xwing is None and keyfile.inspect(path).xwing_key is None

    # When its holder upgrades it
    result = upgrade("--key", str(path))

    # Then it opens with the same passphrase and holds the same X25519 and Ed25519 keys
    assert result.exit_code == 0, result.output
    after = keyfile.unlock(path, PASSPHRASE)
    assert bytes(after.private_key) == bytes(old.private_key)
    assert after.verify_key == old.verify_key and after.xwing is not None
    document = json.loads(path.read_text())
    assert document["format"] == "wbs-private-key/3"
    assert base64.b64decode(document["xwing_key"]) == after.xwing.public_key
    assert len(after.xwing.public_key) == 1216 and stat.S_IMODE(path.stat().st_mode) == 0o600
    # And the keyring's entry gains xwing_key, printed for the admin
    (entry,) = keyring.load(Path("ring.json")).keys
    assert entry.xwing_key_bytes == after.xwing.public_key
    assert json.loads(Path("ring.json").read_text())["format"] == "wbs-keyring/4"
    assert f'"xwing_key": "{entry.xwing_key}"' in result.stdout


def test_the_x_wing_seed_is_independent_of_the_x25519_secret(home: Path) -> None:
    # Two upgrades of files holding the same X25519 and Ed25519 keys give unrelated X-Wing keys
    first, second = home / "keys" / "a.key", home / "keys" / "b.key"
    old = format_2_key(first)
    document = json.loads(first.read_text())
    second.write_text(json.dumps(document))
    assert upgrade("--key", str(first)).exit_code == 0
    Path("ring.json").write_text(  # the keyring as it was before the first upgrade
        json.dumps(
            {
                "format": "wbs-keyring/3",
                "keys": [_v3_entry(old)],
                "desks": [],
                "recovery": None,
            }
        )
    )
    assert upgrade("--key", str(second)).exit_code == 0
    one, two = keyfile.unlock(first, PASSPHRASE), keyfile.unlock(second, PASSPHRASE)
    assert bytes(one.private_key) == bytes(two.private_key)
    assert one.xwing is not None and two.xwing is not None
    assert one.xwing.seed != two.xwing.seed
    assert one.xwing.seed not in (bytes(one.private_key), bytes(one.signing_key or b""))


def _v3_entry(identity: Identity) -> dict[str, object]:
    """A person's entry of wbs-keyring/3 (no xwing_key member)."""
    public, signing = identity.public_key, identity.verify_key
    entry = dataclasses.asdict(
        keyring.KeyEntry.for_public_key(public, "Inspektur", "2026-01-02", signing)
    )
    del entry["xwing_key"]
    return entry


def test_a_keyring_entry_with_a_malformed_xwing_key_is_refused(home: Path) -> None:
    assert new_key().exit_code == 0
    document = json.loads(Path("ring.json").read_text())
    document["keys"][0]["xwing_key"] = base64.b64encode(bytes(1184)).decode()
    with pytest.raises(keyring.KeyringError, match="xwing_key must be 1216 bytes"):
        keyring.parse(json.dumps(document))
    # format 3 may not carry it
    document["format"] = "wbs-keyring/3"
    document["keys"][0]["xwing_key"] = None
    with pytest.raises(keyring.KeyringError, match="must have exactly"):
        keyring.parse(json.dumps(document))


@pytest.mark.parametrize("value", [[], {}, 7])
def test_a_member_of_the_wrong_json_type_is_a_clean_refusal(tmp_path: Path, value: object) -> None:
    # Keyrings and key files are written by people and tools: a list where a name belongs
    # is refused in words, never a TypeError (which the API would answer with a 500)
    rescuer = recovery.identity(recovery.new_master())
    assert rescuer.verify_key is not None and rescuer.xwing is not None
    person = keyring.KeyEntry.for_public_key(
        bytes(PrivateKey.generate().public_key), "A", "2026-01-02"
    )
    desk = keyring.DeskEntry.for_public_key(
        "d", 1, bytes(PrivateKey.generate().public_key), "2026-01-02"
    )
    ring = keyring.Keyring((person,), (desk,)).with_recovery(
        keyring.RecoveryEntry.for_public_key(
            rescuer.public_key,
            rescuer.verify_key,
            "R",
            "2026-01-02",
            3,
            5,
            rescuer.xwing.public_key,
        )
    )
    for where, member, match in (
        ("keys", "type", "unsupported key type"),
        ("desks", "type", "unsupported key type"),
        ("desks", "founder", "founder must be a person"),
    ):
        document = ring.to_json()
        document[where][0][member] = value
        with pytest.raises(keyring.KeyringError, match=match):
            keyring.parse(json.dumps(document))
    key = tmp_path / "k.key"
    key.write_text(json.dumps({"format": value}))
    with pytest.raises(keyfile.KeyFileError, match="is not a wbs-private-key/3 file"):
        keyfile.inspect(key)
