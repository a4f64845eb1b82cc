"""Helpers for the cek tests: people with known names and NIKs, and posting the two searches."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from portal.extensions import db
from portal.models import Edition, Program, Recipient, RecipientProgram
from portal.services.identity import keyed_hmac
from portal.services.names import name_key

SUKARASA = "32.73.01.1001"  # Kelurahan Sukarasa, Kecamatan Sukasari, Kota Bandung
GEGERKALONG = "32.73.01.1002"
NIK = "3273014508900003"  # a woman born 5 August 1990 in Sukasari, serial 3
PERIOD = "TRIWULAN III 2026"
ANSWER = "UJI7"  # CAPTCHA_TEST_ANSWER in these tests
HX = {"HX-Request": "true"}
STORED_NAME = "MOCH. DJOKO SOEPRAPTO"
MASKED = "M***H D***O S***O"
_CAPTCHA_ID = re.compile(r'name="captcha_id" type="hidden" value="([^"]+)"')


def current(label: str = "Triwulan III 2026", code: str = "2026-Q3") -> Edition:
    """Return the current edition, creating it if there is none."""
    edition = db.session.scalar(select(Edition).where(Edition.is_current.is_(True)))
    if edition is None:
        edition = Edition(code=code, label=label, is_current=True)
        db.session.add(edition)
        db.session.flush()
    return edition


def add_person(
    name: str, nik: str, village: str = SUKARASA, *, rt: str = "001", rw: str = "002", desil: int | None = 3,
    receives: Sequence[str] = (), edition: Edition | None = None,
) -> Recipient:
    """Add one recipient with known name and NIK; ``receives`` lists program codes (YA), the rest TIDAK."""
    edition = edition or current()
    person = Recipient(
        edition_id=edition.id, village_code=village, rt=rt, rw=rw, name=name, name_key=name_key(name),
        nik_hmac=keyed_hmac(nik), kk_hmac=keyed_hmac(f"9{nik[1:]}"), desil=desil,
    )
    db.session.add(person)
    db.session.flush()
    for program in db.session.scalars(select(Program)):
        yes = program.code in receives
        db.session.add(RecipientProgram(recipient_id=person.id, program_id=program.id, receives=yes,
                                        period=PERIOD if yes else None))
    db.session.flush()
    return person


def captcha_id(html: str) -> str:
    """Return the one challenge id in a page or fragment."""
    ids = _CAPTCHA_ID.findall(html)
    assert len(ids) == 1, "exactly one challenge per page or fragment"
    return ids[0]


def post_nik(client, nik: str, *, answer: str = ANSWER, headers: dict | None = None, challenge: str | None = None):
    """Open /cek for a challenge, then search by NIK."""
    challenge = challenge or captcha_id(client.get("/cek").get_data(as_text=True))
    return client.post("/cek/nik", data={"nik": nik, "captcha_id": challenge, "captcha_jawaban": answer},
                       headers=headers or {})


def post_name(client, name: str, village: str = SUKARASA, *, answer: str = ANSWER, headers: dict | None = None,
              extra: dict | None = None):
    """Open /cek?tab=nama for a challenge, then search by village and name."""
    challenge = captcha_id(client.get("/cek?tab=nama").get_data(as_text=True))
    data = {"desa": village, "nama": name, "captcha_id": challenge, "captcha_jawaban": answer, **(extra or {})}
    return client.post("/cek/nama", data=data, headers=headers or {})


def text_of(response) -> str:
    """Return the body as text."""
    return response.get_data(as_text=True)
