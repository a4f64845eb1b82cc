"""The portal as gunicorn serves it, plus one bare route: the ceiling the benchmark compares to.

``/_bare`` runs through the same application, the same hooks (access check, headers) and the
same gunicorn settings as every other page, and does nothing else. Used only by scripts/bench.py.
"""

from __future__ import annotations

from portal import create_app
from portal.access import public

app = create_app()


@public
def bare() -> str:
    """Answer a constant: the cost of the framework and the hooks, nothing more."""
    return "ok"


app.add_url_rule("/_bare", "bare", bare)
