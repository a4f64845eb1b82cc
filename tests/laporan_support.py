"""Helpers for the submission tests: valid forms, evidence files made with Pillow, posting."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from tests.cek_support import ANSWER, SUKARASA, captcha_id, text_of

__all__ = ["ANSWER", "SUKARASA", "captcha_id", "text_of"]

REPORTER_NIK = "3273010101800001"  # a man born 1 January 1980 in Sukasari, serial 1
REPORTER_PHONE = "0813 2233 4455"
REPORTER_PHONE_DIGITS = "81322334455"
SUBJECT_NIK = "3273015203750002"  # a woman born 12 March 1975
SUBJECT_KK = "3273011203100005"
SUBJECT_NAME = "SITI AMINAH RAHAYU"
REPORTER_NAME = "BUDI SANTOSO"
TARGET_NIK = "3273014508900003"
TARGET_NAME = "MOCH. DJOKO SOEPRAPTO"
_CODE = re.compile(r'<strong class="kode rahasia">([A-Z0-9-]+)</strong>')
_TICKET = re.compile(r'<strong class="kode">((?:USL|SGH)-[0-9]{4}-[0-9]{4}-[A-Z0-9]{6})</strong>')


def usulan_data(**overrides: Any) -> dict[str, Any]:
    """Return a complete, valid proposal (without the captcha)."""
    data: dict[str, Any] = {
        "desa": SUKARASA,
        "rt": "3",
        "rw": "2",
        "alamat": "Jl. Sukarasa Gg. Melati No. 7",
        "nama": SUBJECT_NAME,
        "nik": SUBJECT_NIK,
        "no_kk": SUBJECT_KK,
        "program": ["PKH", "SEMBAKO"],
        "kondisi": ["lansia", "tanpa_penghasilan_tetap"],
        "uraian": "Janda lansia tinggal sendiri, tidak punya penghasilan tetap, rumah bocor.",
        "hubungan": "tetangga",
        "pelapor_nama": REPORTER_NAME,
        "pelapor_nik": REPORTER_NIK,
        "pelapor_hp": REPORTER_PHONE,
        "pernyataan": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def sanggahan_data(public_id: str, **overrides: Any) -> dict[str, Any]:
    """Return a complete, valid objection (without the captcha)."""
    data: dict[str, Any] = {
        "penerima": public_id,
        "alasan": "meninggal",
        "tanggal_meninggal": "2026-09-14",
        "uraian": "Yang bersangkutan meninggal bulan September, dimakamkan di TPU Sukarasa.",
        "lokasi": "Rumah cat hijau di samping masjid",
        "pelapor_nama": REPORTER_NAME,
        "pelapor_nik": REPORTER_NIK,
        "pelapor_hp": REPORTER_PHONE,
        "pernyataan": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_usulan(
    client,
    data: dict[str, Any],
    *,
    files: list[tuple[bytes, str]] | None = None,
    answer: str = ANSWER,
    page: str = "/usulan/baru",
):
    """Open the form for a challenge, then post the proposal with its files."""
    challenge = captcha_id(text_of(client.get(page)))
    body = {**data, "captcha_id": challenge, "captcha_jawaban": answer}
    if files:
        body["bukti"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/usulan/baru", data=body, content_type="multipart/form-data")


def post_sanggahan(client, data: dict[str, Any], *, files: list[tuple[bytes, str]] | None = None, answer: str = ANSWER):
    """Open the form for a challenge, then post the objection with its files."""
    challenge = captcha_id(text_of(client.get(f"/sanggahan/baru?penerima={data['penerima']}")))
    body = {**data, "captcha_id": challenge, "captcha_jawaban": answer}
    if files:
        body["bukti"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/sanggahan/baru", data=body, content_type="multipart/form-data")


def receipt_of(response) -> tuple[str, str]:
    """Return (ticket, receipt code) from a receipt page."""
    html = text_of(response)
    return _TICKET.search(html).group(1), _CODE.search(html).group(1)


def jpeg(width: int = 640, height: int = 480, *, exif: Image.Exif | None = None, color=(200, 120, 40)) -> bytes:
    """Return a JPEG made with Pillow, optionally with EXIF."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG", quality=90, exif=exif or Image.Exif())
    return out.getvalue()


def png(width: int = 300, height: int = 200, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (10, 120, 200) if mode == "RGB" else 0).save(out, format="PNG")
    return out.getvalue()


def webp(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 160, 90)).save(out, format="WEBP")
    return out.getvalue()


def gps_exif() -> Image.Exif:
    """Return EXIF with a camera model and GPS coordinates (Bandung)."""
    exif = Image.Exif()
    exif[0x0110] = "KameraUji X1"  # Model
    exif[0x0132] = "2026:09:14 10:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (6.0, 54.0, 59.0)
    gps[3] = "E"
    gps[4] = (107.0, 36.0, 35.0)
    return exif


def minimal_pdf(extra: bytes = b"") -> bytes:
    """Return a tiny, well-formed one-page PDF; ``extra`` goes into the catalog dictionary."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
