"""Template translations looked up once per request, not once per string.

Flask-Babel installs template callables that ask for the request's translations on every
``_()``: the context, the domain, the locale, and a cache key built anew from the locale each
time. A search's answer has some twenty strings; that lookup was about a fifth of rendering it
(docs/benchmarks.md). These callables keep the translations of the request's locale in ``g``
and otherwise behave exactly as Flask-Babel's (newstyle: autoescaping and ``%(name)s``).
The locale of a request does not change while it runs (the portal never calls
``flask_babel.refresh`` or ``force_locale``); a new request has a new ``g``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_translations


def _translations() -> Any:
    found = g.get("_portal_translations")
    if found is None:
        found = g._portal_translations = get_translations()
    return found


def install_request_gettext(app: Flask) -> None:
    """Replace Flask-Babel's template gettext callables with per-request cached ones."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
