"""What a submission leaves in the database: no NIK, KK, phone or name in clear, no plain hash."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case
from portal.services.workflow import SOURCE_STAFF, transition
from tests.cek_support import add_person, current
from tests.laporan_support import (
    ANSWER,
    REPORTER_NAME,
    REPORTER_NIK,
    REPORTER_PHONE_DIGITS,
    SUBJECT_KK,
    SUBJECT_NAME,
    SUBJECT_NIK,
    TARGET_NAME,
    TARGET_NIK,
    jpeg,
    post_sanggahan,
    post_usulan,
    receipt_of,
    sanggahan_data,
    usulan_data,
)

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


def _dump() -> bytes:
    """Every value of every table, as bytes (text UTF-8 encoded, binary as is)."""
    parts: list[bytes] = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    parts.append(bytes(value))
                elif value is not None:
                    parts.append(str(value).encode())
    return b"\x1f".join(parts)


def test_no_identity_in_clear_after_submissions_and_a_reply(client):
    current()
    target = add_person(TARGET_NAME, TARGET_NIK)
    usulan = post_usulan(client, usulan_data(), files=[(jpeg(), "rumah.jpg")])
    sanggahan = post_sanggahan(
        client, sanggahan_data(target.public_id, uraian=f"Saya tetangga, NIK saya {REPORTER_NIK}, dia pindah.")
    )
    assert usulan.status_code == sanggahan.status_code == 200
    ticket, code = receipt_of(usulan)
    case = db.session.scalar(select(Case).where(Case.ticket == ticket))
    transition(case, "perlu_info", source=SOURCE_STAFF, public_message="Kirim foto KK.")
    db.session.commit()
    reply = client.post(
        "/status/balas",
        data={
            "tiket": ticket,
            "kode": code,
            "pesan": f"KK nomor {SUBJECT_KK}, HP 0{REPORTER_PHONE_DIGITS}",
            "bukti": [(io.BytesIO(jpeg()), "kk.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 200
    db.session.commit()

    dump = _dump()
    assert len(dump) > 10_000, "the dump holds the cases and their evidence"
    forbidden = {
        "reporter NIK": REPORTER_NIK,
        "subject NIK": SUBJECT_NIK,
        "target NIK": TARGET_NIK,
        "KK": SUBJECT_KK,
        "phone": REPORTER_PHONE_DIGITS,
        "reporter name": REPORTER_NAME,
        "subject name": SUBJECT_NAME,
        "receipt code": code.replace("-", ""),
        "receipt code (grouped)": code,
    }
    for nik in (REPORTER_NIK, SUBJECT_NIK, TARGET_NIK, SUBJECT_KK):
        forbidden[f"sha256 of {nik}"] = hashlib.sha256(nik.encode()).hexdigest()
        forbidden[f"SHA256 of {nik}"] = hashlib.sha256(nik.encode()).hexdigest().upper()
        forbidden[f"md5 of {nik}"] = hashlib.md5(nik.encode()).hexdigest()  # noqa: S324 - looking for it
        forbidden[f"sha1 of {nik}"] = hashlib.sha1(nik.encode()).hexdigest()  # noqa: S324
    found = [label for label, value in forbidden.items() if value.encode() in dump]
    assert found == []
    # The recipient's own name is public data of the edition (shown masked), not the reporter's.
    assert TARGET_NAME.encode() in dump
