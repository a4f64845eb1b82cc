"""Two portal instances (two gunicorns on two ports, two workers each) of one deployment, sharing
one PostgreSQL and one Redis, as two hosts behind a proxy would.

- A captcha solved on one instance cannot be replayed on the other: the challenge is a database
  row that its first check deletes. (Each instance does accept a challenge issued by the other,
  so the refusal is the replay's, not a stranger's.)
- Rate limits are one budget: L requests split over both, then 429 on either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from portal.extensions import db
from portal.models import CaptchaChallenge
from tests.cek_support import NIK, captcha_id
from tests.integration.limits_support import TIMEOUT, post_status, status_fields
from tests.integration.portal_data import portal_app
from tests.integration.processes import Gunicorn, gunicorn, portal_environment
from tests.integration.webclient import Answer, WebClient, csrf_token

CAPTCHA_ERROR = "Kode keamanan salah atau sudah kedaluwarsa. Silakan ketik kode yang baru."


@contextmanager
def two_instances(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Gunicorn, Gunicorn]]:
    """Instances A and B of one deployment: the same settings and secrets, their own ports."""
    with ExitStack() as stack:
        a = stack.enter_context(gunicorn(env, tmp_path / "a.log", workers=2))
        b = stack.enter_context(gunicorn(env, tmp_path / "b.log", workers=2))
        yield a, b


def _solved_search(page_from: WebClient, send_to: WebClient, database_url: str) -> tuple[dict[str, str], Answer]:
    """Open /cek on one instance, read the challenge's answer from the database, search on another."""
    page = page_from.get("/cek", timeout=TIMEOUT)
    assert page.status == 200
    challenge = captcha_id(page.text)
    with portal_app(database_url):
        answer = db.session.get(CaptchaChallenge, challenge).answer
    token = csrf_token(send_to.get("/status", timeout=TIMEOUT).text)  # the sender's own session
    fields = {"csrf_token": token, "nik": NIK, "captcha_id": challenge, "captcha_jawaban": answer}
    return fields, send_to.post("/cek/nik", fields, timeout=TIMEOUT)


def test_a_captcha_solved_on_one_instance_cannot_be_replayed_on_the_other(pg_database, shared_redis_url,
                                                                          key_prefix, tmp_path: Path):
    env = portal_environment(pg_database, RATELIMIT_STORAGE_URI=shared_redis_url, RATELIMIT_KEY_PREFIX=key_prefix)
    with two_instances(env, tmp_path) as (a, b):
        on_a, on_b = WebClient(a.url), WebClient(b.url)

        fields, solved = _solved_search(on_a, on_a, pg_database)
        assert solved.status == 200
        assert CAPTCHA_ERROR not in solved.text

        # The same challenge and answer, sent to B from another session: refused, in plain words.
        replay = {**fields, "csrf_token": csrf_token(on_b.get("/status", timeout=TIMEOUT).text)}
        replayed = on_b.post("/cek/nik", replay, timeout=TIMEOUT)
        assert replayed.status == 422
        assert CAPTCHA_ERROR in replayed.text
        # And on A again, with A's session: refused as well.
        assert CAPTCHA_ERROR in on_a.post("/cek/nik", fields, timeout=TIMEOUT).text

        # A challenge A issued and nobody used is good on B: B sees A's challenges.
        _fields, across = _solved_search(on_a, on_b, pg_database)
        assert across.status == 200
        assert CAPTCHA_ERROR not in across.text

        for server in (a, b):
            assert not re.search(r'HTTP/1\.[01]" 5\d\d ', server.log())  # no 5xx in the access log
            assert "Traceback" not in server.log()


def test_rate_limits_are_one_budget_across_instances(pg_database, shared_redis_url, key_prefix, tmp_path: Path):
    limit = 5
    env = portal_environment(pg_database, RATELIMIT_STORAGE_URI=shared_redis_url, RATELIMIT_KEY_PREFIX=key_prefix,
                             STATUS_RATE_LIMIT=f"{limit}/hour")
    with two_instances(env, tmp_path) as (a, b):
        on_a, on_b = WebClient(a.url), WebClient(b.url)
        fields_a, fields_b = status_fields(on_a), status_fields(on_b)
        # A, B, A, B, A: five look-ups (422: no such case), all let through.
        sent = [post_status(*((on_a, fields_a) if i % 2 == 0 else (on_b, fields_b))) for i in range(limit)]
        assert sent == [422] * limit
        # The sixth is over the limit wherever it goes.
        assert post_status(on_b, fields_b) == 429
        assert post_status(on_a, fields_a) == 429
