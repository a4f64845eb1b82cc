"""Evidence uploads over HTTP (on the usulan form): every attack is refused or neutralised."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseEvidence
from portal.services.crypto import decrypt
from tests.cek_support import current
from tests.laporan_support import ANSWER, gps_exif, jpeg, minimal_pdf, png, post_usulan, text_of, usulan_data, webp

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


@pytest.fixture(autouse=True)
def edition(app):
    return current()


def _stored() -> list[tuple[str, bytes]]:
    return [(e.media_type, decrypt(e.content_enc)) for e in db.session.scalars(select(CaseEvidence))]


def _refused(response, message: str) -> None:
    html = text_of(response)
    assert response.status_code == 422, html
    assert message in html
    assert 'href="#bukti-1"' in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseEvidence)) == 0


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge 1-bit picture (its data is a few compressed bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + b"\0" * ((width + 7) // 8)
    pixels = zlib.compress(row * 64, 9)  # only the first rows: decoding would fail long after the check
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def test_three_good_files_are_stored_encrypted_and_re_encoded(client):
    response = post_usulan(client, usulan_data(), files=[(jpeg(), "a.jpg"), (png(), "b.png"), (minimal_pdf(), "c.pdf")])
    assert response.status_code == 200, text_of(response)
    stored = _stored()
    assert [media for media, _ in stored] == ["image/jpeg", "image/jpeg", "application/pdf"]
    assert stored[2][1] == minimal_pdf()
    raw = [row.content_enc for row in db.session.scalars(select(CaseEvidence))]
    assert all(not blob.startswith((b"\xff\xd8", b"%PDF")) for blob in raw), "encrypted at rest"


def test_exif_and_gps_are_stripped_and_the_picture_kept_upright(client):
    original = jpeg(800, 600, exif=gps_exif())
    assert b"KameraUji" in original
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    assert post_usulan(client, usulan_data(), files=[(original, "rumah.jpg")]).status_code == 200
    ((media, data),) = _stored()
    assert media == "image/jpeg"
    image = Image.open(io.BytesIO(data))
    assert image.size == (800, 600)
    assert not image.getexif()
    assert not image.getexif().get_ifd(0x8825)
    assert b"Exif" not in data
    assert b"KameraUji" not in data


def test_webp_becomes_jpeg_and_large_pictures_are_downscaled(client):
    files = [(webp(), "a.webp"), (jpeg(4000, 3000), "b.jpg")]
    assert post_usulan(client, usulan_data(), files=files).status_code == 200
    (first, webp_out), (_, big_out) = _stored()
    assert first == "image/jpeg"
    assert Image.open(io.BytesIO(webp_out)).format == "JPEG"
    assert max(Image.open(io.BytesIO(big_out)).size) == 2000


def test_a_file_over_5_mb_is_refused(client):
    big = jpeg() + b"\0" * (5 * 1024 * 1024)
    _refused(post_usulan(client, usulan_data(), files=[(big, "besar.jpg")]), "Berkas ke-1 lebih besar dari 5 MB")


def test_more_than_three_files_are_refused(client):
    files = [(jpeg(), f"{n}.jpg") for n in range(4)]
    _refused(post_usulan(client, usulan_data(), files=files), "Paling banyak 3 berkas bukti.")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 200, "foto.jpg"),  # a Windows program
        (b"\x7fELF\x02\x01\x01" + b"\0" * 200, "foto.png"),  # a Linux program
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "foto.jpg"),
        (b"<!doctype html><html><script>alert(document.cookie)</script></html>", "foto.jpg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "foto.gif"),
        (b"PK\x03\x04" + b"\0" * 100, "dokumen.pdf"),
    ],
    ids=["exe", "elf", "svg", "svg-as-jpg", "html-as-jpg", "gif", "zip-as-pdf"],
)
def test_disguised_and_unsupported_files_are_refused(client, content, name):
    _refused(post_usulan(client, usulan_data(), files=[(content, name)]), "Berkas ke-1 bukan foto")


def test_the_position_of_the_refused_file_is_named(client):
    files = [(jpeg(), "a.jpg"), (b"<html></html>", "b.jpg")]
    _refused(post_usulan(client, usulan_data(), files=files), "Berkas ke-2 bukan foto")


def test_a_jpeg_html_polyglot_is_neutralised_by_re_encoding(client):
    polyglot = jpeg() + b"<html><script>alert(document.cookie)</script></html>" + b"PK\x03\x04zipped"
    assert post_usulan(client, usulan_data(), files=[(polyglot, "foto.jpg")]).status_code == 200
    ((media, data),) = _stored()
    assert media == "image/jpeg"
    assert b"<script" not in data
    assert b"PK\x03\x04" not in data


def test_a_pdf_html_polyglot_is_refused(client):
    polyglot = minimal_pdf().replace(b"%\xe2\xe3\xcf\xd3\n", b"%<html><script>alert(1)</script></html>\n")
    _refused(post_usulan(client, usulan_data(), files=[(polyglot, "a.pdf")]), "Dokumen PDF ke-1 berisi skrip")


def test_a_pdf_with_something_appended_is_refused(client):
    _refused(
        post_usulan(client, usulan_data(), files=[(minimal_pdf() + b"PK\x03\x04" + b"\0" * 50, "a.pdf")]),
        "tidak dapat dibaca sebagai dokumen PDF",
    )


@pytest.mark.parametrize(
    "action",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>",
        b"/OpenAction << /S /Launch /F (cmd.exe) >>",
        b"/Names << /EmbeddedFiles << /Names [(x.exe) 9 0 R] >> >>",
    ],
    ids=["javascript", "escaped-javascript", "launch", "embedded-file"],
)
def test_a_pdf_with_active_content_is_refused(client, action):
    _refused(
        post_usulan(client, usulan_data(), files=[(minimal_pdf(action), "a.pdf")]), "Dokumen PDF ke-1 berisi skrip"
    )


def test_active_content_hidden_in_a_compressed_stream_is_found(client):
    hidden = zlib.compress(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>")
    stream = b"/Extra 4 0 R >>\nendobj\n4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(hidden)
    pdf = minimal_pdf(stream + hidden + b"\nendstream\n")
    _refused(post_usulan(client, usulan_data(), files=[(pdf, "a.pdf")]), "Dokumen PDF ke-1 berisi skrip")


def test_an_encrypted_pdf_is_refused(client):
    _refused(
        post_usulan(client, usulan_data(), files=[(minimal_pdf(b"/Encrypt 5 0 R "), "a.pdf")]), "dilindungi kata sandi"
    )


@pytest.mark.parametrize("size", [(8000, 8000), (30000, 30000)], ids=["over-our-limit", "over-pillows-limit"])
def test_a_decompression_bomb_is_refused_unread(client, size):
    bomb = png_bomb(*size)
    assert len(bomb) < 100_000
    _refused(post_usulan(client, usulan_data(), files=[(bomb, "bom.png")]), "Gambar ke-1 terlalu besar")


def test_a_truncated_image_is_refused(client):
    _refused(post_usulan(client, usulan_data(), files=[(jpeg()[:300], "rusak.jpg")]), "rusak atau tidak dapat dibaca")
