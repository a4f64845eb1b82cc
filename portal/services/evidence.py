"""Evidence uploads: detect the type by content, re-encode images, check PDFs, refuse the rest.

The file name and the browser's content type are ignored: the first bytes decide (JPEG, PNG,
WebP or PDF), then the content must hold up. Images are decoded with Pillow (``verify``, then a
fresh load), turned upright, downscaled to ``MAX_EDGE`` and re-encoded from raw pixels, so EXIF
(with GPS), comments and anything appended to the file (a polyglot's second half) are gone, and
only JPEG or PNG is stored. A picture whose header claims more than ``MAX_PIXELS`` is refused
before any pixel is decoded (a decompression bomb). PDFs cannot be re-encoded here, so they are
checked by structure instead: they must start with ``%PDF-`` and end with ``%%EOF``, must not be
encrypted, and must not name active content (scripts, launch actions, embedded files, forms that
submit), also inside compressed object streams; markup in the file (an HTML or SVG polyglot) is
refused. Evidence is shown to staff only, as a download (issue 6).
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024
#: Longest side of a stored image: a KTP or a house stays legible, a file stays small.
MAX_EDGE = 2000
#: Larger pictures are refused unread; phone cameras save 12 to 50 megapixels.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"

#: PDF names that run code, open other files or carry files inside. /URI (a link) is allowed.
ACTIVE_PDF_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"XFA",
        b"SubmitForm",
        b"ImportData",
        b"GoToE",
        b"GoToR",
    }
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_MARKUP = re.compile(rb"<\s*(?:script|html|svg|iframe|body)\b", re.IGNORECASE)
#: Upper bound on inflated PDF stream bytes examined (a zip bomb must not cost memory).
_INFLATE_BUDGET = 64 * 1024 * 1024


class EvidenceError(Exception):
    """A file is refused; ``text`` says why, with ``%(nomor)d`` for its position in the form."""

    def __init__(self, code: str, text: LazyString) -> None:
        super().__init__(code)
        self.code = code
        self.text = text

    def message(self, number: int) -> str:
        """Return the message for the ``number``-th file of the form."""
        return str(self.text) % {"nomor": number}


TOO_LARGE = _l(
    "Berkas ke-%(nomor)d lebih besar dari 5 MB. Perkecil berkasnya atau foto ulang dengan resolusi lebih rendah."
)
EMPTY = _l("Berkas ke-%(nomor)d kosong.")
UNKNOWN_TYPE = _l(
    "Berkas ke-%(nomor)d bukan foto (JPEG, PNG, WebP) atau dokumen PDF. Jenis berkas lain, misalnya "
    "SVG, HTML, dokumen Word atau program, tidak diterima, walaupun namanya diakhiri .jpg atau .pdf."
)
BROKEN_IMAGE = _l(
    "Berkas ke-%(nomor)d rusak atau tidak dapat dibaca sebagai gambar. Foto ulang atau simpan ulang "
    "gambarnya, lalu kirim kembali."
)
TOO_MANY_PIXELS = _l(
    "Gambar ke-%(nomor)d terlalu besar (lebih dari 50 megapiksel). Kirim foto dengan resolusi lebih kecil."
)
BROKEN_PDF = _l("Berkas ke-%(nomor)d tidak dapat dibaca sebagai dokumen PDF yang utuh.")
ENCRYPTED_PDF = _l("Dokumen PDF ke-%(nomor)d dilindungi kata sandi. Kirim dokumen tanpa kata sandi, atau fotonya.")
ACTIVE_PDF = _l(
    "Dokumen PDF ke-%(nomor)d berisi skrip, lampiran, atau tindakan otomatis yang tidak diizinkan. "
    "Kirim hasil pindai biasa atau foto dokumennya."
)
TOO_MANY_FILES = _l("Paling banyak %(jumlah)d berkas bukti.")


@dataclass(frozen=True, slots=True)
class CleanFile:
    """An accepted file, ready to store: re-encoded image bytes or the checked PDF."""

    data: bytes
    media_type: str
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """Return the format the first bytes announce (JPEG, PNG, WEBP or PDF), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def clean_evidence(data: bytes) -> CleanFile:
    """Check one uploaded file and return what may be stored; raise ``EvidenceError``."""
    if not data:
        raise EvidenceError("empty", EMPTY)
    if len(data) > MAX_BYTES:
        raise EvidenceError("too_large", TOO_LARGE)
    kind = sniff(data)
    if kind is None:
        raise EvidenceError("type", UNKNOWN_TYPE)
    if kind == "PDF":
        check_pdf(data)
        return CleanFile(data, "application/pdf")
    return reencode_image(data, kind)


def reencode_image(data: bytes, kind: str) -> CleanFile:
    """Decode the image safely and return it upright, downscaled, re-encoded without metadata."""
    # The bomb warning becomes an error here only; the process-wide Pillow limit is left alone.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[kind]) as probe:
                width, height = probe.size
                if width < 1 or height < 1:
                    raise EvidenceError("broken_image", BROKEN_IMAGE)
                if width * height > MAX_PIXELS:
                    raise EvidenceError("bomb", TOO_MANY_PIXELS)
                probe.verify()
            # verify() leaves the image unusable: open it again to decode the pixels.
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if kind == "JPEG":
                    image.draft("RGB", (MAX_EDGE, MAX_EDGE))  # decode at a reduced scale: less memory
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = _plain_pixels(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise EvidenceError("bomb", TOO_MANY_PIXELS) from None
        except EvidenceError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
            raise EvidenceError("broken_image", BROKEN_IMAGE) from None
    pixels.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if pixels.mode in ("RGBA", "LA") or (kind == "PNG" and pixels.mode == "L"):
        # Transparency and drawn documents keep PNG; photos become JPEG.
        pixels.save(out, format="PNG", optimize=True)
        media_type = "image/png"
    else:
        pixels.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        media_type = "image/jpeg"
    return CleanFile(out.getvalue(), media_type, pixels.width, pixels.height)


def _plain_pixels(image: Image.Image) -> Image.Image:
    """Return a new image holding only the pixels: no EXIF, ICC, text chunks or other info."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        mode = "RGBA"
    elif image.mode in ("L", "1", "I", "I;16", "F"):
        mode = "L"
    else:
        mode = "RGB"
    converted = image.convert(mode) if image.mode != mode else image
    return Image.frombytes(mode, converted.size, converted.tobytes())


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that is malformed, encrypted, carries markup or names active content."""
    if not re.match(rb"%PDF-[12]\.\d", data):
        raise EvidenceError("broken_pdf", BROKEN_PDF)
    # Something appended after the last %%EOF (a ZIP or HTML second half) is not a plain PDF.
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        raise EvidenceError("broken_pdf", BROKEN_PDF)
    if _MARKUP.search(data):
        raise EvidenceError("active_pdf", ACTIVE_PDF)
    names = _pdf_names(data)
    if b"Encrypt" in names:
        raise EvidenceError("encrypted_pdf", ENCRYPTED_PDF)
    budget = _INFLATE_BUDGET
    for match in _PDF_STREAM.finditer(data):
        inflated = _inflate(match.group(1), budget)
        if inflated:
            budget -= len(inflated)
            names |= _pdf_names(inflated)
            if _MARKUP.search(inflated):
                raise EvidenceError("active_pdf", ACTIVE_PDF)
        if budget <= 0:
            break
    if names & ACTIVE_PDF_NAMES:
        raise EvidenceError("active_pdf", ACTIVE_PDF)


def _pdf_names(data: bytes) -> set[bytes]:
    """Return the PDF names in ``data`` with #xx escapes decoded (/J#61vaScript is /JavaScript)."""
    return {_PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw) for raw in _PDF_NAME.findall(data)}


def _inflate(body: bytes, budget: int) -> bytes:
    """Return a Flate stream inflated up to ``budget`` bytes, or b"" if it is not one."""
    if budget <= 0:
        return b""
    try:
        return zlib.decompressobj().decompress(body, budget)
    except zlib.error:
        return b""
