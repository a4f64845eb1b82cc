"""Captcha challenges: issue, render as an image and as Indonesian speech, verify once.

A challenge is a database row (shared by every worker and host), never part of the cookie, the
page or a URL. Its first check deletes it, right or wrong, in one ``DELETE … RETURNING``
statement by primary key, so a challenge allows one guess and two parallel submissions cannot
both pass. Issuing is one ``INSERT``; expired rows are purged by every ``PURGE_EVERY``-th issue
or so, in batches. Both statements are plain Core statements on the table: a search pays for
two single-row writes and nothing of the ORM's unit of work. The
answer is stored in clear (see ``models.captcha``): the image and the audio are rendered from it
on later requests, so a one-way hash would not do, and encrypting four random characters that
live five minutes would protect nothing a reader of the database does not already have.

The captcha is a speed bump against scripts, not a wall: the rate limits on issuing and on the
searches are the real control (shared/research/security.md §3).
"""

from __future__ import annotations

import functools
import hmac
import io
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from captcha.audio import WAVE_SAMPLE_RATE, AudioCaptcha, mix_wave
from captcha.image import ImageCaptcha
from flask import current_app
from sqlalchemy import bindparam, delete, select

from ..extensions import db
from ..models import CaptchaChallenge
from ..models.base import utcnow

logger = logging.getLogger(__name__)

#: Upper-case letters and digits that neither look nor sound alike. Left out: 0 O Q D, 1 I L J,
#: 2 Z, 5 S, 8 B, 6 G, U V (shapes); F (E under warping), T (7, and "te" sounds like "pe"),
#: N ("en" sounds like "em"), H ("ha" sounds like "ka" and "a"). 14 characters, 38,416 codes.
ALPHABET = "ACEKMPRWXY3479"
ANSWER_LENGTH = 4
TTL = timedelta(minutes=5)

#: One directory per ALPHABET character with its spoken clips; made by scripts/make-captcha-voice.sh.
VOICE_DIR = Path(__file__).resolve().parent.parent / "captcha_voice"
IMAGE_SIZE = (200, 70)
#: Dark blue ink: well above 4.5:1 contrast on the near-white background.
INK = (21, 48, 92, 255)
#: Expired rows removed per purge at most, so one request never pays for a long backlog.
PURGE_BATCH = 200
#: One issue in this many (at random) purges expired rows: up to PURGE_BATCH / PURGE_EVERY rows
#: per issue on average, far more than the one row each issue adds, for a sixteenth of the cost.
PURGE_EVERY = 16
#: Longer answers are not worth normalising: they cannot match.
_MAX_ANSWER_INPUT = 32


_TABLE = CaptchaChallenge.__table__
# Built once, run with bound parameters on the session's connection: building a statement
# costs several times what the database takes to run it.
_INSERT = _TABLE.insert()
_CONSUME = _TABLE.delete().where(_TABLE.c.id == bindparam("challenge_id")).returning(
    _TABLE.c.answer, _TABLE.c.expires_at
)


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge as issued: its id for the form, its answer for the image and the audio."""

    id: str
    answer: str
    expires_at: datetime

    def __repr__(self) -> str:
        # Never the answer: a repr can end up in a log line or a traceback.
        return f"<Challenge {self.id[:6]}…>"


def normalize_answer(text: str) -> str:
    """Return the answer as compared: upper-case, without any whitespace."""
    return "".join(text.split()).upper()


def purge_expired(now: datetime | None = None) -> int:
    """Delete up to ``PURGE_BATCH`` expired challenges; return how many went."""
    now = now or utcnow()
    # SKIP LOCKED (PostgreSQL; SQLite has one writer and ignores it) lets parallel issuers
    # purge disjoint rows instead of queueing on, or deadlocking over, the same ones.
    expired = (
        select(CaptchaChallenge.id)
        .where(CaptchaChallenge.expires_at < now)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = db.session.execute(
        delete(CaptchaChallenge).where(CaptchaChallenge.id.in_(expired)),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def issue_challenge() -> Challenge:
    """Insert a new challenge (in the caller's transaction), purging expired ones now and then."""
    now = utcnow()
    if secrets.randbelow(PURGE_EVERY) == 0:
        purge_expired(now)
    challenge = Challenge(
        secrets.token_urlsafe(16), "".join(secrets.choice(ALPHABET) for _ in range(ANSWER_LENGTH)), now + TTL
    )
    db.session.connection().execute(
        _INSERT, {"id": challenge.id, "answer": challenge.answer, "expires_at": challenge.expires_at}
    )
    logger.debug("Captcha challenge %s… issued", challenge.id[:6])
    return challenge


def get_live_challenge(challenge_id: str) -> CaptchaChallenge | None:
    """Return the unexpired challenge with this id, or None; consumes nothing."""
    if not challenge_id or len(challenge_id) > 32:
        return None
    return db.session.scalar(
        select(CaptchaChallenge).where(
            CaptchaChallenge.id == challenge_id, CaptchaChallenge.expires_at > utcnow()
        )
    )


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify_challenge(challenge_id: str | None, answer: str | None) -> bool:
    """Consume the challenge and return whether ``answer`` solves it in time.

    With ``TESTING`` on, ``CAPTCHA_TEST_ANSWER`` also solves any live challenge (still consumed).
    """
    if not isinstance(challenge_id, str) or not challenge_id or len(challenge_id) > 32:
        return False
    # One statement finds and deletes: whatever the outcome the guess is spent, and of two
    # parallel checks only the one whose DELETE returned the row can pass (the other waits
    # for the row lock on PostgreSQL, or for the write lock on SQLite, and finds it gone).
    row = db.session.connection().execute(_CONSUME, {"challenge_id": challenge_id}).first()
    if row is None:
        logger.debug("Captcha check: unknown or already used challenge")
        return False
    if _as_utc(row.expires_at) <= utcnow():
        logger.debug("Captcha check: challenge %s… expired", challenge_id[:6])
        return False
    if not isinstance(answer, str) or len(answer) > _MAX_ANSWER_INPUT:
        return False

    given = normalize_answer(answer).encode()
    accepted = [row.answer]
    test_answer = current_app.config.get("CAPTCHA_TEST_ANSWER")
    if current_app.config.get("TESTING") and test_answer:
        accepted.append(normalize_answer(str(test_answer)))
    # Bytes, because compare_digest refuses str with non-ASCII characters (a typed "É").
    solved = any(hmac.compare_digest(given, expected.encode()) for expected in accepted)
    logger.debug("Captcha check: challenge %s… %s", challenge_id[:6], "solved" if solved else "wrong answer")
    return solved


class _InkCaptcha(ImageCaptcha):
    """The package's image captcha, legible: dark ink drawn opaque, letters overlapping less."""

    # The package pastes each letter through a mask derived from the ink's luminance, so dark
    # ink comes out faint grey. Scale the mask so that the ink itself is fully opaque.
    lookup_table = [min(255, i * 255 // round(0.299 * INK[0] + 0.587 * INK[1] + 0.114 * INK[2]))
                    for i in range(256)]
    word_offset_dx = 0.1


class _IndonesianAudio(AudioCaptcha):
    """The package's audio captcha, with white noise drawn in one read instead of per sample."""

    # The package calls secrets.randbelow once per noise sample: 70 % of a clip's CPU time.
    _NOISE_TABLE = bytes(v % 4 + 126 for v in range(256))

    def create_background_noise(self, length: int, chars: str) -> bytearray:
        """Return ``length`` samples of faint white noise with reversed voices mixed in."""
        noise = bytearray(secrets.token_bytes(length).translate(self._NOISE_TABLE))
        pos = 0
        while pos < length:
            sound = self._noise_pick()
            end = pos + len(sound) + 1
            noise[pos:end] = mix_wave(sound, noise[pos:end])
            pos = end + secrets.randbelow(int(WAVE_SAMPLE_RATE / 10) + 1)
        return noise


_images = threading.local()


def _image_captcha() -> ImageCaptcha:
    # One per thread: the loaded FreeType fonts are not documented as safe to share.
    if not hasattr(_images, "captcha"):
        _images.captcha = _InkCaptcha(width=IMAGE_SIZE[0], height=IMAGE_SIZE[1], font_sizes=(46, 54, 60))
    return _images.captcha


@functools.cache
def _audio_captcha() -> AudioCaptcha:
    # Loaded completely before it is shared: the package's lazy load is not thread-safe.
    audio = _IndonesianAudio(voicedir=str(VOICE_DIR))
    audio.load()
    return audio


def render_image(challenge: Challenge | CaptchaChallenge) -> bytes:
    """Return a PNG of the challenge's characters, distorted afresh on every call."""
    out = io.BytesIO()
    # zlib level 1: half the encoding time of the default 6 for 8 % more bytes (about 10 KB);
    # the image costs more CPU than the search whose answer makes the browser fetch it.
    _image_captcha().generate_image(challenge.answer, fg_color=INK).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def render_audio(challenge: Challenge | CaptchaChallenge) -> bytes:
    """Return a WAV (8 kHz, mono, 8-bit) reading the challenge's characters in Bahasa Indonesia."""
    return bytes(_audio_captcha().generate(challenge.answer))
