"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

import logging

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
babel = Babel()
#: Rendered public pages (lists, statistics, open data), keyed by edition, revision and filters.
cache = Cache()
# Limits are declared on the routes that need them (search, submissions, login): a limiter on
# every request costs about 40 % of a cheap route's throughput (docs/research: performance).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class _LimiterLogFilter(logging.Filter):
    """Keep Flask-Limiter's storage events in the portal's log, in plain words; drop its per-breach lines.

    A breach is already in the access log as a 429 (and a line per breach would flood the log
    under attack, with the client address in it). The switch to in-memory counting is an error
    an operator must see: limits then hold per worker process only (portal.config).
    """

    _REWORDED = {
        "Rate limit storage unreachable - falling back to in-memory storage": (
            logging.ERROR,
            "Rate-limit storage (PORTAL_RATELIMIT_STORAGE_URI) does not answer: this worker counts "
            "the limits in its own memory until it answers again.",
        ),
        "Rate limit storage recovered": (
            logging.WARNING,
            "Rate-limit storage answers again: this worker counts the limits there again.",
        ),
    }

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("ratelimit ") and "exceeded" in str(record.msg):
            return False
        reworded = self._REWORDED.get(str(record.msg))
        if reworded is not None:
            record.levelno, record.msg = reworded
            record.levelname = logging.getLevelName(record.levelno)
        return True


# Flask-Limiter logs to "flask-limiter", which has no handler: under the portal's logger its
# lines reach the same output as the portal's own, at the portal's PORTAL_LOG_LEVEL.
limiter.logger = logging.getLogger("portal.ratelimit")
limiter.logger.addFilter(_LimiterLogFilter())
