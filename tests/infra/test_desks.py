"""Inspectors' access per desk (wbs/deploy/desks.py): the config's [[desks]], the policy
``wbs deploy`` adds to the template for each, what a desk's member may and may not do, and
the real calls of ``wbs inbox`` judged against a desk's policy.

A desk's policy fetches a case's ciphertext only where the object's ``wbs-desks`` tag names
the desk. The function and the inspector's tool must give that tag when they create an
object (docs/aws.md, "Inspectors' access, per desk"); until they do, the replays below set
the tags the function must write, and the tool's writes are the expected failure they mark.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from botocore.exceptions import ClientError
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode
from click.testing import CliRunner
from moto import mock_aws

from functions.storage import S3Storage, layout
from functions.storage.tags import tag_desks, tag_value
from tests.infra.test_template import (
    ARRIVED,
    BUCKET,
    CASE,
    DESKS,
    FILE_ID,
    FOLLOWUP,
    ONLY_A_NEW_OBJECTS_DESKS_TAG,
    REGION,
    REPLY,
    REPORTER,
    TEMPLATE,
    Deployment,
    Request,
    allowed,
    creation,
    function_statements,
    listing,
    obj,
    requests_for,
    statements,
    template,
)
from tests.support.api import identity
from tests.support.api import write_keyring as make_keyring
from tests.support.inbox import (
    add_inspector_key,
    payload,
    post_followup,
    put,
    upload,
    use_private_home,
    wbs,
)
from wbs import config
from wbs.config import ConfigFileError
from wbs.deploy import desks, share

DATA = "${DataBucket.Arn}"
OTHER = "8ABCDEFGHJKMNPQR"  # a case of the escalation desk alone
ROUTED = "/inspektorat/kab-bandung/"  # a regency's case: its desk and the central desk
ESCALATED = "/pimpinan/"
NOTE = layout.note(CASE, ARRIVED, "0123456789abcdef", "0123abcd")
SHARE = f"shares/{CASE}/20260101T000000000000Z-pimpinan.json"
GRANT = "desks/kab-bandung/1/0123456789abcdef.json"


def desk_policy(desk: str) -> list[dict[str, Any]]:
    return statements(desks.policy_resource(desk)["Properties"]["PolicyDocument"])


def read(key: str, tag: str | None) -> Request:
    """A GetObject of ``key``, an object whose wbs-desks tag is ``tag`` (None: no tag)."""
    context = {} if tag is None else {"s3:ExistingObjectTag/wbs-desks": tag}
    return Request("s3:GetObject", obj(key), context)


def create(key: str, **tags: str) -> list[Request]:
    """A create-only PutObject of ``key`` with ``tags`` (``wbs_desks`` is wbs-desks), and the
    tagging of the new object it asks for."""
    params: dict[str, Any] = {"Key": key, "IfNoneMatch": "*"}
    if tags:
        params["Tagging"] = urlencode({k.replace("_", "-"): v for k, v in tags.items()})
    return requests_for("PutObject", params)


def retag(key: str, existing: str | None, new: str) -> Request:
    """A PutObjectTagging of an object that exists, tagged ``existing`` (None: untagged)."""
    context: dict[str, str | tuple[str, ...]] = {
        "s3:RequestObjectTagKeys": ("wbs-desks",),
        "s3:RequestObjectTag/wbs-desks": new,
    }
    if existing is not None:
        context["s3:ExistingObjectTag/wbs-desks"] = existing
    return Request("s3:PutObjectTagging", obj(key), context)


# --- the config's [[desks]] ----------------------------------------------------------------


def config_file(tmp_path: Path, desks_toml: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(desks_toml + '\n[deployment]\nstack_name = "wbs"\n', encoding="utf-8")
    return path


def test_the_desks_are_the_ids_of_the_configs_desks_tables(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        '[[desks]]\nid = "inspektorat"\nname = {id = "Inspektorat"}\n'
        '[[desks]]\nid = "kab-bandung"\n[[desks]]\nid = "pimpinan"\n',
    )
    assert desks.desk_ids(path) == DESKS  # in the file's order; other fields are not ours
    assert desks.desk_ids(config_file(tmp_path, "")) == ()


def test_the_projects_config_is_read_when_none_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "DEFAULT_PATH", config_file(tmp_path, '[[desks]]\nid = "a"\n'))
    assert desks.desk_ids(None) == ("a",)


@pytest.mark.parametrize(
    ("desks_toml", "message"),
    [
        ('[[desks]]\nid = "Jabar"\n', "desks[1].id must be 1 to 48 lower-case letters"),
        ('[[desks]]\nid = "-jabar"\n', "desks[1].id must be 1 to 48 lower-case letters"),
        ('[[desks]]\nid = "jabar/x"\n', "desks[1].id must be 1 to 48 lower-case letters"),
        (f'[[desks]]\nid = "{"a" * 49}"\n', "desks[1].id must be 1 to 48 lower-case letters"),
        ('[[desks]]\nname = "Jabar"\n', "desks[1].id must be 1 to 48"),
        ('[[desks]]\nid = "a"\n[[desks]]\nid = "a"\n', "desks[2].id 'a' appears twice"),
        ('desks = ["a"]\n', "desks[1] must be a table"),
        ('desks = "a"\n', "desks must be [[desks]] tables, each with an id"),
    ],
)
def test_a_wrong_desk_is_named_by_its_field(tmp_path: Path, desks_toml: str, message: str) -> None:
    path = config_file(tmp_path, desks_toml)
    with pytest.raises(ConfigFileError) as caught:
        desks.desk_ids(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_one_stack_holds_a_bounded_number_of_desks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desks, "MAX_DESKS", 2)
    path = config_file(tmp_path, "".join(f'[[desks]]\nid = "d{n}"\n' for n in range(3)))
    with pytest.raises(ConfigFileError, match="has 3 desks: one stack holds at most 2"):
        desks.desk_ids(path)


# --- the tag and the names --------------------------------------------------------------------


def test_the_tag_lists_each_desk_once_between_slashes() -> None:
    assert tag_value(["kab-bandung", "inspektorat", "kab-bandung"]) == ROUTED
    assert tag_desks(ROUTED) == ("inspektorat", "kab-bandung")
    assert tag_value(["pimpinan"]) == ESCALATED
    for wrong in ("", "//", "inspektorat", "/Inspektorat/", "/a//b/"):
        assert tag_desks(wrong) == ()
    # S3 takes a tag value of at most 256 characters: five desks of the longest ids fit
    longest = [c * 48 for c in "abcde"]
    assert len(tag_value(longest)) == 246
    with pytest.raises(ValueError, match="over 256 characters"):
        tag_value([*longest, "f" * 48])
    for wrong_ids in ([], ["Jabar"], ["a/b"]):
        with pytest.raises(ValueError, match="one or more desk ids"):
            tag_value(wrong_ids)


def test_each_desk_has_its_own_resource_name() -> None:
    ids = ["a-1", "a1", "kab-bandung", "kabbandung", "a--b", "a-b-", "0"]
    names = [desks.logical_id(d) for d in ids]
    assert len(set(names)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9]{1,255}", n) for n in names)
    assert desks.logical_id("kab-bandung") == "DeskkabXbandungPolicy"


# --- the template wbs deploy sends --------------------------------------------------------------


def test_the_rendered_template_adds_one_policy_a_desk_and_lints(tmp_path: Path) -> None:
    # Given the template rendered for three desks
    static = TEMPLATE.read_text(encoding="utf-8")
    assert desks.render(static, ()) == static  # no [[desks]]: the template as it is
    rendered = tmp_path / "template.yaml"
    rendered.write_text(desks.render(static, DESKS), encoding="utf-8")
    # Then cfn-lint finds nothing in it
    matches = lint_file(rendered, ManualArgs(regions=[REGION, "us-east-1"]))
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []
    # And it is the template with one managed policy a desk, and nothing else changed
    data, problems = decode(str(rendered))
    assert not problems and data is not None
    added = {d: desks.logical_id(d) for d in DESKS}
    resources = dict(data["Resources"])
    for desk, name in added.items():
        assert resources.pop(name) == desks.policy_resource(desk)
    assert resources == template()["Resources"]
    assert {k: v for k, v in data.items() if k != "Resources"} == {
        k: v for k, v in template().items() if k != "Resources"
    }


def test_a_desks_policy_has_exactly_these_grants() -> None:
    names_it = "*/kab-bandung/*"
    writes = [{"Fn::Sub": f"{DATA}/{key}"} for key in desks.INSPECTOR_WRITES]
    cases = ("reports", "mailboxes", "attachments", "notes", "shares")
    assert desk_policy("kab-bandung") == [
        {
            "Sid": "ReadTheDesksCases",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [{"Fn::Sub": f"{DATA}/{p}/*"} for p in cases],
            "Condition": {"StringLike": {"s3:ExistingObjectTag/wbs-desks": names_it}},
        },
        {
            "Sid": "ListCasesAndTheDesksGrants",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": ["DataBucket", "Arn"]},
            "Condition": {
                "StringLike": {"s3:prefix": [f"{p}/*" for p in cases] + ["desks/kab-bandung/*"]}
            },
        },
        {
            "Sid": "ReadAndGrantTheDesk",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [{"Fn::Sub": f"{DATA}/desks/kab-bandung/*"}],
        },
        {
            "Sid": "WriteRepliesNotesAndShares",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": writes,
            "Condition": {
                "StringLike": {"s3:RequestObjectTag/wbs-desks": names_it},
                "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["wbs-desks"]},
            },
        },
        {
            "Sid": "TagWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectTagging",
            "Resource": writes,
            "Condition": {
                **ONLY_A_NEW_OBJECTS_DESKS_TAG,
                "StringLike": {"s3:RequestObjectTag/wbs-desks": names_it},
            },
        },
        {
            "Sid": "LockWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectRetention",
            "Resource": [*writes, {"Fn::Sub": f"{DATA}/desks/kab-bandung/*"}],
        },
        {
            "Sid": "RemindThroughTheTopic",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Ref": "Topic"},
        },
    ]
    # The replies a desk creates are the messages InspectorPolicy's pattern allows
    (write,) = [
        s for s in statements(template()["Resources"]["InspectorPolicy"]["Properties"][
            "PolicyDocument"]) if s["Sid"] == "WriteRepliesNotesAndGrants"
    ]  # fmt: skip
    assert writes == write["Resource"][: len(writes)]


# --- what a regency desk's member may do, and may not ----------------------------------------

MEMBER_MAY = {
    "read its case's report": read(layout.report(CASE), ROUTED),
    "read its case's evidence": read(layout.attachment(CASE, FILE_ID), ROUTED),
    "read its case's follow-up": read(FOLLOWUP, ROUTED),
    "read its case's reply": read(REPLY, ROUTED),
    "read its case's note": read(NOTE, ROUTED),
    "read a share to its desk": read(
        f"shares/{OTHER}/20260101T000000000000Z-kab-bandung.json", "/kab-bandung/pimpinan/"
    ),
    "read its desk's grant": read(GRANT, None),
    "list the reports": listing("reports/"),
    "list a mailbox": listing(layout.mailbox(CASE)),
    "list its desk's grants": listing("desks/kab-bandung/"),
    "list the shares of a case": listing(f"shares/{CASE}/"),
}
MEMBER_MAY_CREATE = {
    "a reply tagged for its case's desks": create(REPLY, wbs_desks=ROUTED),
    "a note tagged for its desk alone": create(NOTE, wbs_desks="/kab-bandung/"),
    "a share with the escalation desk": create(
        SHARE, wbs_desks="/inspektorat/kab-bandung/pimpinan/"
    ),
    "a grant of its desk": create(GRANT),
}
MEMBER_MAY_NOT = {
    "read the escalation desk's report": read(layout.report(OTHER), ESCALATED),
    "read the escalation desk's reply": read(
        layout.mailbox(OTHER) + REPLY.rpartition("/")[2], ESCALATED
    ),
    "read a report of a desk whose id ends like its own": read(
        layout.report(OTHER), "/x-kab-bandung/"
    ),
    "read a report of a desk whose id starts like its own": read(
        layout.report(OTHER), "/kab-bandung-2/"
    ),
    "read an untagged report": read(layout.report(OTHER), None),
    "read an object tagged otherwise": read(layout.report(OTHER), "kab-bandung"),
    "read another desk's grant": read("desks/pimpinan/1/0123456789abcdef.json", None),
    "read an upload grant": read(layout.upload_record(CASE, FILE_ID), ROUTED),
    "read a spent proof": read(layout.proof("0" * 64), None),
    "list another desk's grants": listing("desks/pimpinan/"),
    "list every desk's grants": listing("desks/"),
    "list the whole bucket": listing(""),
    "list the upload grants": listing(layout.UPLOADS),
    "create an untagged reply": creation(REPLY, if_none_match=True),
    "create a reply tagged for the escalation desk alone": create(REPLY, wbs_desks=ESCALATED)[0],
    "tag a reply for the escalation desk alone": create(REPLY, wbs_desks=ESCALATED)[1],
    "create a reply with a tag of another name": create(REPLY, wbs_desks=ROUTED, other="x")[0],
    "tag a reply with a tag of another name": create(REPLY, wbs_desks=ROUTED, other="x")[1],
    "create another desk's grant": creation("desks/pimpinan/1/0123456789abcdef.json", True),
    "overwrite a reply": Request(
        "s3:PutObject",
        obj(REPLY),
        {
            "s3:ObjectCreationOperation": "true",
            "s3:RequestObjectTagKeys": ("wbs-desks",),
            "s3:RequestObjectTag/wbs-desks": ROUTED,
        },
    ),
    "add its desk to the escalation desk's reply": retag(
        REPLY, ESCALATED, "/kab-bandung/pimpinan/"
    ),
    "take the central desk off its case's note": retag(NOTE, ROUTED, "/kab-bandung/"),
    "tag its case's report": retag(layout.report(CASE), None, ROUTED),
    "tag the escalation desk's report": retag(layout.report(OTHER), ESCALATED, ROUTED),
    "tag evidence": retag(layout.attachment(OTHER, FILE_ID), None, ROUTED),
    "create a report": create(layout.report(OTHER), wbs_desks=ROUTED)[0],
    "create a reporter's follow-up": create(FOLLOWUP, wbs_desks=ROUTED)[0],
    "create a verifier": create(layout.verifier(CASE), wbs_desks=ROUTED)[0],
    "delete a note": Request("s3:DeleteObject", obj(NOTE)),
    "delete a grant": Request("s3:DeleteObject", obj(GRANT)),
    "remove a tag": Request("s3:DeleteObjectTagging", obj(layout.report(CASE))),
    "read the tags": Request("s3:GetObjectTagging", obj(layout.report(OTHER))),
}


@pytest.mark.parametrize("request_", MEMBER_MAY.values(), ids=list(MEMBER_MAY))
def test_a_desk_member_reads_its_desks_cases_and_grants(request_: Request) -> None:
    assert allowed(desk_policy("kab-bandung"), request_)


@pytest.mark.parametrize("made", MEMBER_MAY_CREATE.values(), ids=list(MEMBER_MAY_CREATE))
def test_a_desk_member_creates_what_names_its_desk(made: list[Request]) -> None:
    # Every request the creation makes (the object, and the tagging of the new object)
    assert [r for r in made if not allowed(desk_policy("kab-bandung"), r)] == []


@pytest.mark.parametrize("request_", MEMBER_MAY_NOT.values(), ids=list(MEMBER_MAY_NOT))
def test_a_desk_member_fetches_no_other_desks_ciphertext_and_moves_no_case(
    request_: Request,
) -> None:
    assert not allowed(desk_policy("kab-bandung"), request_)


def test_the_escalation_desk_reads_what_the_regency_may_not() -> None:
    assert allowed(desk_policy("pimpinan"), MEMBER_MAY_NOT["read the escalation desk's report"])
    assert not allowed(desk_policy("pimpinan"), MEMBER_MAY["read its case's report"])


def test_the_function_tags_only_what_it_creates() -> None:
    policy = function_statements()
    # It may create a report, a follow-up and an evidence file with their desks' tag
    for key in (layout.report(CASE), FOLLOWUP, layout.verifier(CASE)):
        assert all(allowed(policy, r) for r in create(key, wbs_desks=ROUTED)), key
    params = {"Key": layout.attachment(CASE, FILE_ID), "Tagging": urlencode({"wbs-desks": ROUTED})}
    assert all(allowed(policy, r) for r in requests_for("CreateMultipartUpload", params))
    # But never tag an object that has a tag: no case moves to another desk
    assert not allowed(policy, retag(layout.report(CASE), ROUTED, ESCALATED))
    assert not allowed(policy, retag(layout.report(CASE), ESCALATED, ROUTED))
    # Nor give a tag of another name, nor tag what it has no business with
    assert not allowed(policy, create(layout.report(CASE), wbs_desks=ROUTED, other="x")[1])
    assert not allowed(policy, create(NOTE, wbs_desks=ROUTED)[1])
    assert not allowed(policy, create(SHARE, wbs_desks=ROUTED)[1])


# --- a desk member's real calls ---------------------------------------------------------------


def tags_of(key: str) -> dict[str, str]:
    """An object's tags, read aside (not recorded); {} for a key that is not there."""
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    try:
        found = s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]
    except ClientError:
        return {}
    return {t["Key"]: t["Value"] for t in found}


def tag_case(case: str, value: str) -> None:
    """Give every object of ``case`` the tag the function must give it when it creates it."""
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    for prefix in (layout.report(case), layout.mailbox(case), layout.attachments(case)):
        for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
            tagging = {"TagSet": [{"Key": desks.TAG, "Value": value}]}
            s3.put_object_tagging(Bucket=BUCKET, Key=item["Key"], Tagging=tagging)


def two_desks_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A regency's case (with evidence and a follow-up) and an escalated case, tagged as the
    function must tag them; the inspector's key opens the first."""
    use_private_home(tmp_path, monkeypatch)
    monkeypatch.setenv("WBS_STORAGE", f"s3://{BUCKET}")
    inspector = add_inspector_key()
    ring = make_keyring(tmp_path / "ring.json", [inspector.public_key])
    monkeypatch.setenv("WBS_KEYRING", str(ring))
    admin = S3Storage(BUCKET, client=boto3.session.Session(region_name=REGION).client("s3"))
    entry = upload(admin, CASE, FILE_ID, "foto.jpg", b"kuitansi")
    reporter_key = base64.b64encode(REPORTER.public_key).decode()
    put(admin, CASE, inspector, payload(attachments=[entry], reporter_public_key=reporter_key))
    post_followup(admin, CASE, "tambahan", ARRIVED, [inspector.public_key, REPORTER.public_key])
    put(admin, OTHER, identity(7))
    tag_case(CASE, ROUTED)
    tag_case(OTHER, ESCALATED)


class _Refused:
    """The HTTP side of S3's 403 answer, as botocore reads a response."""

    status_code = 403
    headers: dict[str, str] = {}  # noqa: RUF012 (never changed)


def enforce(policy: list[dict[str, Any]]) -> list[Request]:
    """From now on, S3 answers 403 AccessDenied, as AWS would, to each call of the recorded
    session that ``policy`` does not allow (judged with the objects' real tags); returns
    the list of refused requests, which grows."""
    refused: list[Request] = []
    session = boto3.DEFAULT_SESSION
    assert session is not None

    def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["wbs_params"] = dict(params)

    def judge(model: Any, context: dict[str, Any], **_: Any) -> Any:
        denied = [
            r
            for r in requests_for(model.name, context["wbs_params"], tags_of)
            if not allowed(policy, r)
        ]
        if not denied:
            return None
        refused.extend(denied)
        error = {"Code": "AccessDenied", "Message": "Access Denied"}
        return _Refused(), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}

    session.events.register("before-parameter-build.s3", keep)
    session.events.register("before-call.s3", judge)
    return refused


def test_a_desk_members_reads_fetch_its_cases_and_never_another_desks(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a regency's case and an escalated one in the bucket
    two_desks_cases(tmp_path, monkeypatch)
    deployment.calls.clear()
    # When a member of the regency's desk syncs, reads, lists and exports the case
    out = str(tmp_path / "out")
    for args in (["sync"], ["show", CASE], ["files", CASE], ["export", CASE, "--to", out]):
        result = wbs("inbox", *args)
        assert result.exit_code == 0, (args, result.output)
    reads = [
        r
        for operation, params in deployment.calls
        if operation in ("GetObject", "HeadObject", "ListObjectsV2")
        for r in requests_for(operation, params, tags_of)
    ]
    # Then the regency desk's policy allows every read of its case and every listing
    regency = desk_policy("kab-bandung")
    theirs = [r for r in reads if OTHER in r.resource]
    ours = [r for r in reads if r not in theirs]
    fetched = {r.resource for r in ours if r.action == "s3:GetObject"}
    assert obj(layout.report(CASE)) in fetched
    assert obj(layout.attachment(CASE, FILE_ID)) in fetched
    assert any(key.startswith(obj(layout.mailbox(CASE))) for key in fetched)  # the follow-up
    # (but the listing of every desk's grants, which the tool tries first, then lists its
    # desks' one by one: test_a_sync_under_a_desks_policy_skips_other_desks_cases)
    assert [r for r in ours if not allowed(regency, r)] == [listing("desks/")]
    # And refuses the escalated report, which the tool asks for (it syncs every listed case)
    assert theirs == [read(layout.report(OTHER), ESCALATED)]
    assert not allowed(regency, theirs[0])
    assert allowed(desk_policy("pimpinan"), theirs[0])


def test_a_sync_under_a_desks_policy_skips_other_desks_cases(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a regency's case and an escalated one, and S3 refusing what the central desk's
    # policy does not allow (403 AccessDenied), as AWS does for a member of that desk (the
    # keyring's desk: the tool lists its grants)
    two_desks_cases(tmp_path, monkeypatch)
    refused = enforce(desk_policy("inspektorat"))
    # When the member syncs twice
    first, again = wbs("inbox", "sync"), wbs("inbox", "sync")
    # Then the sync ends well, with the regency's case in the cache and the escalated one
    # skipped, said once a sync as a count, never by its id
    for result in (first, again):
        assert result.exit_code == 0, result.output
        assert (
            "wbs: note: 1 stored object skipped: the storage refuses them to these credentials"
        ) in result.stderr
        assert OTHER not in result.output
    assert first.stdout.startswith("1 new report (1 in the cache), 1 new message (1 in the cache)")
    assert again.stdout.startswith("0 new reports (1 in the cache)")
    # And the refusals were the escalated report and the listing of every desk's grants
    assert refused == [read(layout.report(OTHER), ESCALATED), listing("desks/")] * 2
    # And the regency's case (of the central desk too) reads as before
    shown = wbs("inbox", "show", CASE)
    assert shown.exit_code == 0, shown.output


def test_a_desk_members_writes_are_allowed(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a regency's case in the bucket
    two_desks_cases(tmp_path, monkeypatch)
    text = tmp_path / "text.txt"
    text.write_text("Terima kasih.", encoding="utf-8")
    deployment.calls.clear()
    # When a member of its desk fetches and opens it, answers, moves it and writes a note
    for args in (
        ["sync"],
        ["show", CASE],
        ["reply", CASE, "--file", str(text)],
        ["status", CASE, "sedang-diverifikasi"],
        ["note", CASE, "--file", str(text)],
    ):
        result = wbs("inbox", *args)
        assert result.exit_code == 0, (args, result.output)
    writes = [
        r
        for operation, params in deployment.calls
        if operation == "PutObject"
        for r in requests_for(operation, params, tags_of)
    ]
    # Then each write (and the tagging it asks for) is allowed by the desk's policy
    assert writes
    assert [r for r in writes if not allowed(desk_policy("inspektorat"), r)] == []


# --- a shared case, opened by the admin ----------------------------------------------------


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The data bucket on moto, with the admin's (test) credentials."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3


def test_the_admin_opens_a_shared_case_to_the_desk_it_was_shared_with(bucket: Any) -> None:
    # Given a regency's case as the function and the tool leave it, shared with the
    # escalation desk, and objects of other cases and of no inspector
    routed = {"wbs-desks": ROUTED}
    stored = {
        layout.report(CASE): routed,
        FOLLOWUP: routed,
        REPLY: routed,
        layout.attachment(CASE, FILE_ID): routed,
        NOTE: routed,
        SHARE: {"wbs-desks": "/inspektorat/kab-bandung/pimpinan/"},
        layout.report(OTHER): {"wbs-desks": "/kab-bandung/"},
        layout.upload_record(CASE, FILE_ID): {},
    }
    for key, tags in stored.items():
        bucket.put_object(Bucket=BUCKET, Key=key, Body=b"x", Tagging=urlencode(tags))
    # When the admin opens the case to the escalation desk
    result = CliRunner().invoke(share.main, ["--bucket", BUCKET, CASE, "pimpinan"])
    # Then every object of the case names it too, and nothing else changed
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Case {CASE}: 5 objects now name pimpinan in their wbs-desks tag, 1 named it already.\n"
    )
    opened = "/inspektorat/kab-bandung/pimpinan/"
    for key, tags in stored.items():
        expected = opened if key in list(stored)[:6] else tags.get("wbs-desks")
        assert tags_of(key).get("wbs-desks") == expected, key
    # So the escalation desk's members fetch the case, and those of the regency still do
    for key in list(stored)[:6]:
        request = read(key, opened)
        assert allowed(desk_policy("pimpinan"), request) and allowed(
            desk_policy("kab-bandung"), request
        )
    # When it is run again, nothing changes
    again = CliRunner().invoke(share.main, ["--bucket", BUCKET, CASE, "pimpinan"])
    assert again.output.endswith(
        "0 objects now name pimpinan in their wbs-desks tag, 6 named it already.\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([CASE.lower(), "pimpinan"], f"wbs: error: {CASE.lower()!r} is not a registration number"),
        ([CASE, "Pimpinan"], "wbs: error: 'Pimpinan' is not a desk id"),
        ([OTHER, "pimpinan"], f"wbs: error: no object of case {OTHER} in {BUCKET}"),
    ],
)
def test_opening_a_case_says_what_is_wrong(bucket: Any, args: list[str], message: str) -> None:
    result = CliRunner().invoke(share.main, ["--bucket", BUCKET, *args])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message
