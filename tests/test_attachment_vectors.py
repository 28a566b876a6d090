"""Every attachment test vector (docs/vectors/attachment/), read by wbs/attachments.py and, in
Chromium, by the page's attachment.mjs; and files encrypted by one side read by the other."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
from pathlib import Path

import nacl.bindings
import pytest

from wbs import attachments
from wbs.attachments import Attachment, AttachmentError

VECTORS = Path(__file__).resolve().parent.parent / "docs" / "vectors" / "attachment"
REASONS = {"header", "truncated", "length", "authentication", "tag", "padding", "size", "sha256"}


@dataclasses.dataclass(frozen=True)
class Vector:
    name: str
    expect: str
    reason: str
    comment: str
    report_id: str
    file_id: str
    size: int
    chunk: int
    key: str
    sha256: str
    body: str  # base64 of the object

    def entry(self) -> Attachment:
        key = base64.b64decode(self.key)
        return Attachment(self.file_id, "", "", self.size, self.chunk, key, self.sha256)


def load() -> list[Vector]:
    out = []
    for path in sorted(VECTORS.glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines())
        out.append(
            Vector(
                name=path.stem,
                expect=fields["expect"],
                reason=fields.get("reason", ""),
                comment=fields["comment"],
                report_id=fields["report-id"],
                file_id=fields["file-id"],
                size=int(fields["size"]),
                chunk=int(fields["chunk"]),
                key=fields["key"],
                sha256=fields["sha256"],
                body="".join(body.split()),
            )
        )
    return out


ALL = load()


def test_vectors_cover_the_spec() -> None:
    assert {v.expect for v in ALL} == {"success", "failure"}
    assert {v.reason for v in ALL if v.expect == "failure"} == REASONS
    names = {v.name for v in ALL}
    for case in (
        "success-empty",
        "success-exact-chunk",
        "success-several-chunks",
        "success-1mib-chunk",
        "wrong-key",
        "truncated-last-chunk",
        "reordered",
        "spliced-chunk",
        "moved-report-id",
        "bit-flip",
        "bad-padding",
        "size-smaller",
        "wrong-sha256",
    ):
        assert case in names
    total = sum(p.stat().st_size for p in VECTORS.glob("*.txt"))
    assert total < 3 * 1024 * 1024, "keep the vectors small"


@pytest.mark.parametrize("vector", ALL, ids=lambda v: v.name)
def test_vector_in_python(vector: Vector) -> None:
    sink = io.BytesIO()
    source = io.BytesIO(base64.b64decode(vector.body))
    if vector.expect == "success":
        attachments.decrypt(source, sink, vector.report_id, vector.entry())
        assert len(sink.getvalue()) == vector.size
        assert hashlib.sha256(sink.getvalue()).hexdigest() == vector.sha256
    else:
        with pytest.raises(AttachmentError) as failed:
            attachments.decrypt(source, sink, vector.report_id, vector.entry())
        assert failed.value.reason == vector.reason, vector.comment
        assert vector.file_id in str(failed.value)


# -- the same vectors, and both directions, in Chromium ------------------------------------

RUN_VECTORS = """async (vectors) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const att = await import('/assets/js/attachment.mjs');
  const b64 = (s) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
  return vectors.map((v) => {
    const object = b64(v.body);
    const entry = {
      id: v.file_id, size: v.size, chunk: v.chunk, key: b64(v.key), sha256: v.sha256,
    };
    const reader = att.decryptor(sodium, { reportId: v.report_id, entry });
    const hash = sodium.crypto_hash_sha256_init();
    let length = 0;
    try {
      // Pieces of an odd size, as a download delivers them.
      for (let at = 0; at < object.length; at += 1000) {
        for (const part of reader.update(object.subarray(at, at + 1000))) {
          sodium.crypto_hash_sha256_update(hash, part);
          length += part.length;
        }
      }
      reader.finish();
      const digest = sodium.to_hex(sodium.crypto_hash_sha256_final(hash));
      return { name: v.name, expect: 'success', length, digest };
    } catch (e) {
      return { name: v.name, expect: 'failure', reason: e.reason || `unexpected: ${e}` };
    }
  });
}"""

ENCRYPT = """async ({ key, size, reportId, fileId }) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const att = await import('/assets/js/attachment.mjs');
  const plain = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
  const writer = att.encryptor(sodium, { key: sodium.from_hex(key), reportId, fileId });
  const parts = [writer.header];
  for (let at = 0; ; at += att.CHUNK) {
    const last = size - at < att.CHUNK;
    parts.push(writer.push(plain.subarray(at, last ? size : at + att.CHUNK), last));
    if (last) break;
  }
  const digest = sodium.to_hex(sodium.crypto_hash_sha256(plain));
  return { object: sodium.to_base64(new Uint8Array(await new Blob(parts).arrayBuffer()),
                                    sodium.base64_variants.ORIGINAL), digest };
}"""

REPORT, FILE = "7K3M9QXA2B4C6D8E", "5QZ2W8R1XK4T7M3N"


@pytest.mark.browser
def test_every_vector_in_chromium(page, site_server) -> None:
    # Given the built site served by the real host
    base, _ = site_server
    page.goto(base + "/")
    # When attachment.mjs reads every vector, fed in 1000-byte pieces
    results = page.evaluate(RUN_VECTORS, [dataclasses.asdict(v) for v in ALL])
    # Then each outcome, and each reason, is the one the vector expects
    for vector, result in zip(ALL, results, strict=True):
        assert result["expect"] == vector.expect, (vector.name, vector.comment)
        if vector.expect == "success":
            assert (result["length"], result["digest"]) == (vector.size, vector.sha256)
        else:
            assert result["reason"] == vector.reason, (vector.name, vector.comment)
    assert page.errors == []


@pytest.mark.browser
def test_browser_files_decrypt_in_python(page, site_server) -> None:
    base, _ = site_server
    page.goto(base + "/")
    key = nacl.bindings.crypto_secretstream_xchacha20poly1305_keygen()
    for size in (0, attachments.CHUNK, 2 * attachments.CHUNK + 5):
        made = page.evaluate(
            ENCRYPT, {"key": key.hex(), "size": size, "reportId": REPORT, "fileId": FILE}
        )
        entry = Attachment(FILE, "", "", size, attachments.CHUNK, key, made["digest"])
        sink = io.BytesIO()
        attachments.decrypt(io.BytesIO(base64.b64decode(made["object"])), sink, REPORT, entry)
        assert sink.getvalue() == bytes((i * 7) & 0xFF for i in range(size))
