"""A submission interrupted mid-request leaves nothing behind, and the citizen can simply send it again.

Each fault strikes after the case, its first event and its evidence were flushed: a bug after
the evidence (the related-cases look-up raises), a failure while rendering the receipt (the QR
code), and the database failing on the evidence INSERT.
Whatever the fault, the request is one transaction: no case, no event, no evidence row. Evidence
lives in the database (DESIGN.md section 8), so no file can be left on disk either.

What a failed submission does not spend: the reporter's cap (set to 1 here, so a half-saved case
would refuse the retry) and the captcha challenge. The challenge is deleted in the same
transaction as the case is written, so the rollback restores it and the same form can be sent
again within its five minutes; it still allows one success only, since a committed submission
deletes it for good. The alternative, spending it on any attempt, would make a citizen solve a
new captcha for the portal's failure, and gains nothing: a failed attempt files nothing.

tests/integration/test_database_faults.py does the same with a real PostgreSQL cut off a real
gunicorn in the middle of the evidence INSERT.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from portal.blueprints.laporan import common, status
from portal.extensions import db
from portal.models import CaptchaChallenge, Case, CaseEvent, CaseEvidence
from portal.services import submissions, tracking
from portal.services.workflow import SOURCE_STAFF, transition
from tests.cek_support import add_person, current
from tests.laporan_support import (
    ANSWER,
    REPORTER_NIK,
    SUBJECT_NIK,
    TARGET_NAME,
    TARGET_NIK,
    captcha_id,
    jpeg,
    minimal_pdf,
    post_usulan,
    receipt_of,
    sanggahan_data,
    text_of,
    usulan_data,
)

pytestmark = pytest.mark.usefixtures("regions")

FAULTS = ("after_evidence", "receipt", "database_on_evidence")


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"CAPTCHA_TEST_ANSWER": ANSWER, "PROPAGATE_EXCEPTIONS": False,
            "USULAN_CAP_PER_REPORTER": 1, "SANGGAHAN_CAP_PER_REPORTER": 1}


class Fault:
    """One fault, armed for the next request only; the driver's errors strike once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
        self.monkeypatch = monkeypatch
        self.kind = kind
        self.statement: str | None = None
        self.connection = db.session.get_bind()  # the test's connection (see conftest.app)

    def arm(self) -> None:
        if self.kind == "after_evidence":
            self.monkeypatch.setattr(submissions, "related_cases", _raise)
        elif self.kind == "receipt":
            self.monkeypatch.setattr(common, "qr_svg", _raise)
        else:
            self.statement = "INSERT INTO case_evidence"
            event.listen(self.connection, "before_cursor_execute", self._before)

    def disarm(self) -> None:
        self.monkeypatch.undo()
        if event.contains(self.connection, "before_cursor_execute", self._before):
            event.remove(self.connection, "before_cursor_execute", self._before)

    @property
    def status(self) -> int:
        return 503 if self.kind.startswith("database") else 500

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.statement is not None and statement.lstrip().upper().startswith(self.statement.upper()):
            self.statement = None
            raise db.engine.dialect.loaded_dbapi.OperationalError("server closed the connection (test)")


tracking_add_evidence = tracking.add_evidence


def _raise(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("interrupted on purpose")


@pytest.fixture(params=FAULTS)
def fault(request: pytest.FixtureRequest, app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fault]:
    armed = Fault(monkeypatch, request.param)
    yield armed
    armed.disarm()


def _counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model)) for model in (Case, CaseEvent, CaseEvidence)
    )


def _challenge_alive(challenge: str) -> bool:
    return db.session.get(CaptchaChallenge, challenge) is not None


def _form(client: Any, page: str) -> str:
    return captcha_id(text_of(client.get(page)))


def _multipart(data: dict[str, Any], challenge: str) -> dict[str, Any]:
    files = [(io.BytesIO(jpeg(320, 240)), "rumah.jpg"), (io.BytesIO(minimal_pdf()), "surat.pdf")]
    return {**data, "captcha_id": challenge, "captcha_jawaban": ANSWER, "bukti": files}


def _kinds(client: Any) -> dict[str, tuple[str, str, Callable[[], dict[str, Any]]]]:
    current()
    target = add_person(TARGET_NAME, TARGET_NIK, receives=("PKH",))
    db.session.commit()
    return {
        "usulan": ("/usulan/baru", "/usulan/baru", usulan_data),
        "sanggahan": (f"/sanggahan/baru?penerima={target.public_id}", "/sanggahan/baru",
                      lambda: sanggahan_data(target.public_id)),
    }


@pytest.mark.parametrize("kind", ["usulan", "sanggahan"])
def test_an_interrupted_submission_leaves_nothing_and_can_be_sent_again(client, fault, kind):
    page, action, data = _kinds(client)[kind]
    before = _counts()
    challenge = _form(client, page)
    fault.arm()
    failed = client.post(action, data=_multipart(data(), challenge), content_type="multipart/form-data")
    fault.disarm()
    html = text_of(failed)
    assert failed.status_code == fault.status, html
    assert not re.search(r"(USL|SGH)-\d{4}-\d{4}-", html), "no ticket from a failed submission"
    for secret in (REPORTER_NIK, SUBJECT_NIK, "Traceback", "interrupted on purpose", "server closed"):
        assert secret not in html
    assert _counts() == before, "no case, event or evidence row survives the failure"
    assert _challenge_alive(challenge), "the rolled-back attempt did not spend the captcha"

    # The same form again: accepted, with a receipt code (the cap of 1 was not used up).
    retried = client.post(action, data=_multipart(data(), challenge), content_type="multipart/form-data")
    assert retried.status_code == 200, text_of(retried)
    ticket, code = receipt_of(retried)
    assert code
    cases, _events, evidence = _counts()
    assert cases == before[0] + 1
    assert evidence == before[2] + 2
    assert not _challenge_alive(challenge)
    # And once it succeeded, the challenge is spent: a third post is refused.
    third = client.post(action, data=_multipart(data(), challenge), content_type="multipart/form-data")
    assert third.status_code == 422
    assert _counts()[0] == cases


def test_an_interrupted_reply_leaves_the_case_waiting(client, fault):
    current()
    ticket, code = receipt_of(post_usulan(client, usulan_data()))
    case = db.session.scalar(select(Case).where(Case.ticket == ticket))
    transition(case, "perlu_info", source=SOURCE_STAFF, public_message="Mohon kirim foto KK.")
    db.session.commit()
    before = _counts()

    def reply() -> Any:
        return client.post("/status/balas", content_type="multipart/form-data", data={
            "tiket": ticket, "kode": code, "pesan": "Foto KK terbaru terlampir.",
            "bukti": [(io.BytesIO(jpeg()), "kk.jpg")],
        })

    if fault.kind == "after_evidence":
        def store_then_fail(*args: Any, **kwargs: Any) -> Any:
            tracking_add_evidence(*args, **kwargs)
            raise RuntimeError("interrupted on purpose")

        fault.monkeypatch.setattr(tracking, "add_evidence", store_then_fail)
    elif fault.kind == "receipt":
        # The reply's "receipt" is the status page rendered after it.
        fault.monkeypatch.setattr(status, "public_status", _raise)
    else:
        fault.arm()
    failed = reply()
    fault.disarm()
    assert failed.status_code == fault.status
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "perlu_info"
    assert _counts() == before
    again = reply()
    assert again.status_code == 200, text_of(again)
    assert "Informasi tambahan Anda sudah diterima" in text_of(again)
