"""Captcha service: the alphabet and its voices, issuing, single-use verification, the race."""

from __future__ import annotations

import io
import logging
import os
import re
import sqlite3
import threading
import wave
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import event, func, select, update

from portal import ConfigError, create_app
from portal.extensions import db
from portal.models import CaptchaChallenge
from portal.models.base import utcnow
from portal.services import captcha
from portal.services.captcha import (
    ALPHABET,
    ANSWER_LENGTH,
    TTL,
    VOICE_DIR,
    issue_challenge,
    render_audio,
    render_image,
    verify_challenge,
)
from tests.support import make_config

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make-captcha-voice.sh"
LOOK_ALIKES = "0OQD" "1ILJ" "2Z" "5S" "8B" "6G" "UV"


def _exists(challenge_id: str) -> bool:
    # A fresh query, not session.get(): the identity map could hold a deleted row.
    query = select(func.count()).select_from(CaptchaChallenge).where(CaptchaChallenge.id == challenge_id)
    return db.session.scalar(query) == 1


def _expire(challenge_id: str) -> None:
    db.session.execute(update(CaptchaChallenge).where(CaptchaChallenge.id == challenge_id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))


def _wrong(answer: str) -> str:
    return "".join(ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)] for c in answer)


# --- alphabet and voices ----------------------------------------------------------------------


def test_alphabet_is_upper_case_distinct_and_free_of_look_alikes():
    assert re.fullmatch(r"[A-Z0-9]+", ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)
    assert not set(LOOK_ALIKES) & set(ALPHABET)
    # Enough codes that one guess per challenge is a long shot.
    assert len(ALPHABET) ** ANSWER_LENGTH >= 30_000
    assert ANSWER_LENGTH == 4
    assert timedelta(minutes=5) == TTL


@pytest.mark.parametrize("char", list(ALPHABET))
def test_every_character_has_audible_clips_in_the_format_audiocaptcha_reads(char):
    clips = sorted((VOICE_DIR / char).glob("*.wav"))
    assert clips, f"no voice clip for {char}: run scripts/make-captcha-voice.sh"
    for clip in clips:
        with wave.open(str(clip)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 1)
            seconds = w.getnframes() / w.getframerate()
            samples = w.readframes(w.getnframes())
        assert 0.15 < seconds < 1.5, (clip, seconds)
        # Unsigned 8-bit: silence is 128. A spoken word swings far and carries energy.
        peak = max(abs(s - 128) for s in samples)
        rms = (sum((s - 128) ** 2 for s in samples) / len(samples)) ** 0.5
        assert peak > 64, (clip, peak)
        assert rms > 8, (clip, rms)


def test_voice_directory_and_script_cover_exactly_the_alphabet():
    shipped = {p.name for p in VOICE_DIR.iterdir() if p.is_dir()}
    assert shipped == set(ALPHABET)
    scripted = set(re.findall(r'^\s*"(.):[a-z]+"$', SCRIPT.read_text(), flags=re.MULTILINE))
    assert scripted == set(ALPHABET)


def test_voice_clips_stay_small():
    total = sum(p.stat().st_size for p in VOICE_DIR.rglob("*.wav"))
    assert total < 300 * 1024


# --- issuing ----------------------------------------------------------------------------------


def test_issue_stores_a_random_answer_and_a_five_minute_expiry(app):
    before = utcnow()
    first, second = issue_challenge(), issue_challenge()
    assert first.id != second.id
    assert len(first.id) >= 22
    assert len(first.answer) == ANSWER_LENGTH
    assert set(first.answer) <= set(ALPHABET)
    stored = db.session.scalar(select(CaptchaChallenge.expires_at).where(CaptchaChallenge.id == first.id))
    stored = captcha._as_utc(stored)  # SQLite returns it without a zone
    assert before + TTL <= stored <= utcnow() + TTL
    assert "answer" not in repr(first).lower()
    assert first.answer not in repr(first)


def _stale_and_live() -> None:
    old = CaptchaChallenge(id="kedaluwarsa", answer="ACEK", expires_at=utcnow() - timedelta(seconds=1))
    live = CaptchaChallenge(id="masih-berlaku", answer="ACEK", expires_at=utcnow() + timedelta(minutes=1))
    db.session.add_all([old, live])
    db.session.flush()


def test_issue_purges_expired_challenges_only(app, monkeypatch):
    monkeypatch.setattr(captcha, "PURGE_EVERY", 1)  # every issue purges
    _stale_and_live()
    issue_challenge()
    assert not _exists("kedaluwarsa")
    assert _exists("masih-berlaku")


def test_purging_is_spread_over_issues(app, monkeypatch):
    # One issue in PURGE_EVERY purges, at random: most issues are a single INSERT, and a
    # backlog still goes (at most PURGE_BATCH rows a purge, far more than issues add).
    monkeypatch.setattr(captcha, "PURGE_EVERY", 3)
    draws = iter([1, 2, 0])
    monkeypatch.setattr(captcha.secrets, "randbelow", lambda n: next(draws) if n == 3 else 0)
    _stale_and_live()
    issue_challenge()
    issue_challenge()
    assert _exists("kedaluwarsa")
    issue_challenge()
    assert not _exists("kedaluwarsa")
    assert _exists("masih-berlaku")
    assert captcha.PURGE_BATCH >= 10 * captcha.PURGE_EVERY


# --- verifying --------------------------------------------------------------------------------


def test_right_answer_passes_once(app):
    challenge = issue_challenge()
    assert verify_challenge(challenge.id, challenge.answer) is True
    assert not _exists(challenge.id)
    assert verify_challenge(challenge.id, challenge.answer) is False


def test_wrong_answer_fails_and_spends_the_challenge(app):
    challenge = issue_challenge()
    answer = challenge.answer
    assert verify_challenge(challenge.id, _wrong(answer)) is False
    assert not _exists(challenge.id)
    assert verify_challenge(challenge.id, answer) is False


def test_expired_challenge_fails_and_is_removed(app):
    challenge = issue_challenge()
    _expire(challenge.id)
    assert verify_challenge(challenge.id, challenge.answer) is False
    assert not _exists(challenge.id)


@pytest.mark.parametrize("shape", [str.lower, lambda a: " ".join(a), lambda a: f"  {a[:2]}\t{a[2:].lower()} "])
def test_answer_ignores_case_and_spaces(app, shape):
    challenge = issue_challenge()
    assert verify_challenge(challenge.id, shape(challenge.answer)) is True


@pytest.mark.parametrize(
    ("challenge_id", "answer"),
    [(None, "ACEK"), ("", "ACEK"), ("tidak-ada", "ACEK"), ("x" * 500, "ACEK"), (12, "ACEK"), (None, None)],
)
def test_missing_or_unknown_ids_fail_quietly(app, challenge_id, answer):
    assert verify_challenge(challenge_id, answer) is False


@pytest.mark.parametrize("answer", [None, "", "   ", "ÉÀÇÜ", "A" * 10_000])
def test_empty_or_odd_answers_fail_quietly_and_spend_the_challenge(app, answer):
    challenge = issue_challenge()
    assert verify_challenge(challenge.id, answer) is False
    assert not _exists(challenge.id)


def test_test_answer_solves_any_live_challenge_when_testing(app):
    app.config["CAPTCHA_TEST_ANSWER"] = "uji1"
    challenge = issue_challenge()
    assert verify_challenge(challenge.id, "UJI1") is True
    assert not _exists(challenge.id)
    assert verify_challenge(challenge.id, "UJI1") is False  # still single-use
    expired = issue_challenge()
    _expire(expired.id)
    assert verify_challenge(expired.id, "UJI1") is False
    real = issue_challenge()
    assert verify_challenge(real.id, real.answer) is True  # the real answer still works


def test_test_answer_is_ignored_without_testing(app):
    # The configuration refuses this combination at start-up; the service must not trust it either.
    app.config.update(TESTING=False, CAPTCHA_TEST_ANSWER="UJI1")
    challenge = issue_challenge()
    assert verify_challenge(challenge.id, "UJI1") is False


def test_configuration_refuses_a_test_answer_outside_testing(database_url):
    with pytest.raises(ConfigError, match="CAPTCHA_TEST_ANSWER"):
        create_app(make_config(database_url, TESTING=False, CAPTCHA_TEST_ANSWER="UJI1"))


def test_answers_never_reach_the_log(app, caplog):
    caplog.set_level(logging.DEBUG, logger="portal")
    right, wrong = issue_challenge(), issue_challenge()
    typed = _wrong(wrong.answer)
    verify_challenge(right.id, right.answer)
    verify_challenge(wrong.id, typed)
    assert "solved" in caplog.text
    assert "wrong answer" in caplog.text
    for secret in (right.answer, wrong.answer, typed):
        assert secret not in caplog.text


# --- rendering --------------------------------------------------------------------------------


def test_image_is_a_png_of_the_configured_size(app):
    image = Image.open(io.BytesIO(render_image(issue_challenge())))
    assert image.format == "PNG"
    assert image.size == captcha.IMAGE_SIZE


def test_audio_is_a_wav_reading_every_character(app):
    data = render_audio(issue_challenge())
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 1)
        seconds = w.getnframes() / w.getframerate()
    # Three beeps, four clips with at least a second between them, and the end beep.
    assert seconds > 5


# --- the race, and the write lock of a GET that issues ----------------------------------------


@pytest.fixture
def committing_app(database_url: str) -> Iterator[Flask]:
    """An app on the shared test database whose commits are real (no outer transaction)."""
    application = create_app(make_config(database_url))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_parallel_checks_of_one_challenge_pass_at_most_once(committing_app):
    rounds, outcomes, issued = 8, [], []
    for _ in range(rounds):
        with committing_app.test_request_context("/", method="POST"):
            challenge = issue_challenge()
            challenge_id, answer = challenge.id, challenge.answer
            db.session.commit()
        issued.append(challenge_id)
        start = threading.Barrier(2)
        results: list[bool | BaseException] = []

        def check(challenge_id: str = challenge_id, answer: str = answer, start: threading.Barrier = start,
                  results: list = results) -> None:
            try:
                # Each thread has its own request context, so its own session and connection.
                with committing_app.test_request_context("/", method="POST"):
                    start.wait(timeout=10)
                    results.append(verify_challenge(challenge_id, answer))
                    db.session.commit()
                    db.session.remove()
            except BaseException as exc:  # noqa: BLE001 - asserted below
                results.append(exc)

        threads = [threading.Thread(target=check) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        outcomes.append(sorted(results, key=repr))
    assert outcomes == [[False, True]] * rounds
    with committing_app.app_context():
        left = select(func.count()).select_from(CaptchaChallenge).where(CaptchaChallenge.id.in_(issued))
        assert db.session.scalar(left) == 0


def test_sqlite_supports_delete_returning():
    # verify_challenge's single DELETE … RETURNING needs SQLite 3.35 (Debian 12 ships 3.40).
    assert sqlite3.sqlite_version_info >= (3, 35)


@pytest.mark.skipif(os.environ.get("PORTAL_TEST_ENGINE", "sqlite") != "sqlite", reason="SQLite transaction mode")
def test_issuing_over_get_writes_in_an_immediate_transaction(tmp_path):
    """/captcha/baru is a GET that writes: it must take SQLite's write lock up front (portal/database.py)."""
    app = create_app(make_config(f"sqlite:///{tmp_path}/captcha.db"))
    with app.app_context():
        upgrade()
        seen: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    assert app.test_client().get("/captcha/baru").status_code == 200
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    with app.app_context():
        db.engine.dispose()
