"""Captcha routes: ``/captcha/baru`` (the HTMX refresh), ``/captcha/<id>.png`` and ``.wav``.

Rate limits are per client address and generous, because many phones share one carrier
address; each is read from the configuration at request time so that tests and operators can
change it. Image and audio cost CPU (about 5 ms and 75 ms), so they are limited too.
"""

from __future__ import annotations

import re

from flask import Response, abort, render_template, request

from ...database import writes
from ...extensions import db, limiter
from ...services.captcha import get_live_challenge, issue_challenge, render_audio, render_image
from ...web import config_limit, is_local_path
from . import bp
from .forms import CaptchaForm

# The form's field prefix as WTForms renders it ("nik-"), so the new fields keep their names.
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,29}-?")



@bp.after_request
def _no_store(response: Response) -> Response:
    # A challenge is single-use: no cache may keep or replay one, nor its 404 or 429.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/captcha/baru")
@limiter.limit(config_limit("CAPTCHA_RATE_LIMIT_NEW"))
@writes
def new() -> str:
    """Issue a fresh challenge and return its fragment, to replace the one in the form.

    ``awalan`` is the form's field prefix; ``kembali`` the page the fragment's no-JavaScript
    refresh link reloads (the form page, which issues a new challenge itself).
    """
    prefix = request.args.get("awalan", "")
    return_url = request.args.get("kembali", "")
    challenge = issue_challenge()
    form = CaptchaForm(
        formdata=None, prefix=prefix if _PREFIX.fullmatch(prefix) else "", meta={"csrf": False}
    )
    # Rendered before the commit, which expires the object and would cost a reload.
    html = render_template(
        "captcha/_challenge.html", challenge=challenge, form=form,
        return_url=return_url if is_local_path(return_url) else None, captcha_refresh=True,
    )
    db.session.commit()
    return html


@bp.get("/captcha/<challenge_id>.png")
@limiter.limit(config_limit("CAPTCHA_RATE_LIMIT_IMAGE"))
def image(challenge_id: str) -> Response:
    """Return the challenge as a distorted PNG; 404 once it is used or expired."""
    challenge = get_live_challenge(challenge_id)
    if challenge is None:
        abort(404)
    return Response(render_image(challenge), mimetype="image/png")


@bp.get("/captcha/<challenge_id>.wav")
@limiter.limit(config_limit("CAPTCHA_RATE_LIMIT_AUDIO"))
def audio(challenge_id: str) -> Response:
    """Return the challenge read aloud in Bahasa Indonesia as a WAV; 404 once used or expired."""
    challenge = get_live_challenge(challenge_id)
    if challenge is None:
        abort(404)
    return Response(render_audio(challenge), mimetype="audio/wav")
