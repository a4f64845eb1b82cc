"""The receipt's QR code decodes back to the status link, with the fixed data mask.

``laporan.common.qr_code`` skips segno's mask scoring (the costliest part of a proposal); these
tests decode the codes with a real reader (zxing-cpp), for many tickets and both URL forms. The
browser test (tests/browser/test_submissions_browser.py) decodes the code as the page shows it.
"""

from __future__ import annotations

import io
import random
import string

import pytest
import zxingcpp
from PIL import Image

from portal.blueprints.laporan.common import QR_MASK, qr_code

ALPHABET = string.ascii_uppercase + string.digits


def _decode(url: str) -> list[str]:
    code = qr_code(url)
    png = io.BytesIO()
    code.save(png, kind="png", scale=4, border=4)
    png.seek(0)
    return [result.text for result in zxingcpp.read_barcodes(Image.open(png))]


@pytest.mark.parametrize("base", ["http://localhost/status?tiket=", "https://dtsen.dinsos.jabarprov.go.id/status?tiket="])
def test_receipt_codes_decode_to_their_status_link(base: str) -> None:
    chooser = random.Random(20261129)  # the same tickets every run
    for _ in range(60):
        kind = chooser.choice(("USL", "SGH"))
        ticket = f"{kind}-{chooser.randint(1101, 9471)}-2026-{''.join(chooser.choices(ALPHABET, k=6))}"
        assert _decode(base + ticket) == [base + ticket]


def test_the_code_uses_the_fixed_mask_and_medium_error_correction() -> None:
    code = qr_code("http://localhost/status?tiket=USL-3273-2026-ABC123")
    assert code.mask == QR_MASK
    assert code.error == "M"
    assert not code.is_micro
