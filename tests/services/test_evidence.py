"""Evidence checks without HTTP: sniffing, re-encoding, orientation, PDF structure."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.services.evidence import EvidenceError, clean_evidence, sniff
from tests.laporan_support import jpeg, minimal_pdf, png, webp


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (jpeg(), "JPEG"),
        (png(), "PNG"),
        (webp(), "WEBP"),
        (minimal_pdf(), "PDF"),
        (b"GIF89a", None),
        (b"<svg/>", None),
        (b"", None),
        (b"RIFF\0\0\0\0WAVE", None),
    ],
)
def test_the_first_bytes_decide_the_type(data, kind):
    assert sniff(data) == kind


def test_an_exif_orientation_is_applied_before_the_exif_goes():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    cleaned = clean_evidence(jpeg(800, 600, exif=exif))
    assert (cleaned.width, cleaned.height) == (600, 800)
    assert not Image.open(io.BytesIO(cleaned.data)).getexif()


def test_transparent_png_stays_png_without_text_chunks():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (255, 0, 0, 128)).save(out, format="PNG", pnginfo=info)
    cleaned = clean_evidence(out.getvalue())
    assert cleaned.media_type == "image/png"
    assert b"<script" not in cleaned.data
    assert b"tEXt" not in cleaned.data


def test_a_plain_pdf_is_kept_as_it_is():
    cleaned = clean_evidence(minimal_pdf(b"/URI (https://example.org) "))
    assert cleaned.media_type == "application/pdf"
    assert cleaned.data == minimal_pdf(b"/URI (https://example.org) ")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"%PDF-1.4\n%%EOF\n" + b" " * (5 * 1024 * 1024), "too_large"),
        (b"%PDF-x\n%%EOF", "broken_pdf"),
        (minimal_pdf(b"/AA << /O << /S /JavaScript /JS (x) >> >> "), "active_pdf"),
        (b"\xff\xd8\xff\xe0garbage", "broken_image"),
    ],
)
def test_refusals_carry_a_code_and_a_numbered_message(app, data, code):
    with pytest.raises(EvidenceError) as refused:
        clean_evidence(data)
    assert refused.value.code == code
    with app.test_request_context():
        assert "ke-2" in refused.value.message(2)
