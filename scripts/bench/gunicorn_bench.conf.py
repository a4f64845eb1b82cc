"""gunicorn settings for scripts/bench.py when rate limits are counted in memory.

The repository's gunicorn.conf.py refuses several workers with ``memory://`` rate-limit
storage, rightly: in production each worker would count apart and let through a multiple of
every limit. The benchmark sets its limits far above the load it makes (they are measured for
their cost, never reached), so per-worker counting changes nothing it measures; it passes this
file instead, which sets nothing. With ``PORTAL_BENCH_REDIS_URL`` the limits go to Redis, as in
a production deployment with several workers, and the repository's own settings file is used.
"""
