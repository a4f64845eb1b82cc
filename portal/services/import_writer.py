"""The database side of an edition import: checked rows in, recipients and program statuses out.

Rows arrive in chunks and a worker thread writes each chunk while the caller reads and checks
the next one, so reading the CSV (Python) and writing (the database server, or SQLite's C
code, both outside the GIL) use two cores. Per chunk:

1. a NIK repeated inside the chunk is dropped (the first row wins);
2. the rows go into a temporary staging table (PostgreSQL ``COPY``; SQLite ``executemany``);
3. one ``INSERT … SELECT`` writes the recipients, each with the public id their NIK (keyed HMAC)
   had in the source editions, in order (the edition in service first, then the latest
   others), so links to a person survive a new edition. A NIK that an earlier chunk already
   brought is skipped (``ON CONFLICT DO NOTHING``) and reported with the line that had it first;
4. program statuses follow. Only rows that say something are stored, ``YA`` or a period:
   a missing status reads as ``TIDAK`` everywhere (``services.public.program_statuses``).

Every row of this import gets the id ``base + line`` (``base`` is the largest id before the
import), so a duplicate's first line is its recipient id minus ``base``, and no join is needed
to attach program statuses.

Re-running an edition that already has rows updates them in place (keeping their ids and
public ids, so cases still point at them), adds the new people and, at the end, removes the
people no longer in the file. Nothing here commits.
"""

# The SQL below is assembled from this module's constants (table and column names) only; every
# value travels as a bound parameter or through COPY. Hence the ruff switch, and ``# nosec B608``
# on each such statement for bandit, which has no per-file switch.
# ruff: noqa: S608

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .import_rows import ProgramColumn

STAGING = "import_staging"
SEEN = "import_seen"
#: Rows per chunk: large enough to amortise each statement, small enough to keep memory flat.
CHUNK = 10_000
#: SQLite page cache during an import, in KiB.
SQLITE_CACHE_KB = 128 * 1024
#: Serialises imports on PostgreSQL (SQLite's write lock does it there).
_LOCK_KEY = 727275
_RECIPIENT_COLUMNS = "village_code, rt, rw, name, name_key, nik_hmac, kk_hmac, desil"


class EditionWriter:
    """Write checked rows into one edition from a worker thread; see the module docstring."""

    def __init__(self, connection: Connection, edition_id: int, programs: Sequence[ProgramColumn],
                 sources: Sequence[int]) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.edition_id = edition_id
        self.programs = tuple(programs)
        self.sources = tuple(sources)
        self.columns = ["line", "public_id", "nik_hmac", "kk_hmac", "village_code", "rt", "rw", "name",
                        "name_key", "desil",
                        *(name for i in range(len(self.programs)) for name in (f"p{i}", f"p{i}_period"))]
        self._rejected_in_chunk = 0
        self.imported = 0
        self.kept_ids = 0
        #: (line, first line) of each row whose NIK an earlier row had.
        self.duplicates: list[tuple[int, int]] = []
        self._chunk: list[tuple] = []
        self._queue: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if self.postgres:
            self._run("SELECT pg_advisory_xact_lock(:key)", {"key": _LOCK_KEY})
        else:
            # The indexes of a large edition do not fit SQLite's default 2 MB page cache: each
            # insert would then go to the file for its index pages. Bounded, and per connection.
            self._run(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
        self.base = self._run("SELECT COALESCE(MAX(id), 0) FROM recipients").scalar_one()
        self.rerun = self._run("SELECT 1 FROM recipients WHERE edition_id = :e LIMIT 1",
                               {"e": edition_id}).first() is not None
        self._create_tables()

    def _run(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.connection.execute(text(sql), params or {})

    def _create_tables(self) -> None:
        programs = "".join(f", p{i} BOOLEAN NOT NULL, p{i}_period VARCHAR(40)" for i in range(len(self.programs)))
        for table in (STAGING, SEEN):
            self._run(f"DROP TABLE IF EXISTS {table}")
        # Temporary tables are private to this connection and never written to the WAL/journal.
        self._run(
            f"CREATE TEMPORARY TABLE {STAGING} (line INTEGER NOT NULL, public_id VARCHAR(24) NOT NULL, "
            "nik_hmac VARCHAR(64) NOT NULL, kk_hmac VARCHAR(64) NOT NULL, village_code VARCHAR(13) NOT NULL, "
            "rt VARCHAR(3) NOT NULL, rw VARCHAR(3) NOT NULL, name VARCHAR(150) NOT NULL, "
            f"name_key VARCHAR(150) NOT NULL, desil SMALLINT{programs}, rid INTEGER NOT NULL)"
        )
        if self.rerun:
            self._run(f"CREATE TEMPORARY TABLE {SEEN} (id INTEGER PRIMARY KEY, line INTEGER NOT NULL)")
            # Statuses are written again for every row in the file.
            self._run("DELETE FROM recipient_programs WHERE recipient_id IN "
                      "(SELECT id FROM recipients WHERE edition_id = :e)", {"e": self.edition_id})

    # -- the caller's side ------------------------------------------------------------------

    def __enter__(self) -> EditionWriter:
        self._thread = threading.Thread(target=self._work, name="edition-import-writer", daemon=True)
        self._thread.start()
        return self

    def add(self, row: tuple) -> None:
        """Queue one checked row (``import_rows.RowChecker.check``'s tuple)."""
        self._chunk.append(row)
        if len(self._chunk) >= CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        chunk, self._chunk = self._chunk, []
        while True:
            self._raise_if_failed()
            try:
                self._queue.put(chunk, timeout=0.5)
                return
            except queue.Full:
                continue

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None and self._chunk:
            self._hand_over()
        if kind is not None:
            self._error = self._error or error  # tells the worker to stop taking chunks
        # The sentinel: the worker finishes the chunk at hand (the connection must be idle
        # before the caller rolls back or goes on) and stops.
        while self._thread is not None and self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        if self._thread is not None:
            self._thread.join()
        if kind is None:
            self._raise_if_failed()

    def finish(self) -> int:
        """Remove the people of a re-run edition who are not in the file; return how many."""
        removed = 0
        if self.rerun:
            removed = self._run(
                f"DELETE FROM recipients WHERE edition_id = :e AND id <= :base AND id NOT IN (SELECT id FROM {SEEN})",  # nosec B608
                {"e": self.edition_id, "base": self.base},
            ).rowcount
        for table in (STAGING, SEEN):
            self._run(f"DROP TABLE IF EXISTS {table}")
        if self.postgres:
            self._run("SELECT setval(pg_get_serial_sequence('recipients', 'id'), "
                      "(SELECT MAX(id) FROM recipients))")
            self._run("ANALYZE recipients")
            self._run("ANALYZE recipient_programs")
        return removed

    # -- the worker's side ------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._error is not None:
                continue  # failed or cancelled: take chunks off the queue until the sentinel
            try:
                self._write(chunk)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._error = exc

    def _write(self, chunk: list[tuple]) -> None:
        chunk = self._drop_repeats_within(chunk)
        self._stage(chunk)
        params = {"e": self.edition_id, "base": self.base, **self._source_params}
        existing = self._match_existing() if self.rerun else 0
        # The row's earlier public id, looked up in the source editions in order (COALESCE stops
        # at the first match); a new person keeps the random one made for them.
        returned = self._run(
            f"INSERT INTO recipients (id, public_id, edition_id, {_RECIPIENT_COLUMNS}) "  # nosec B608
            f"SELECT rid, {self._public_id}, :e, {_RECIPIENT_COLUMNS} FROM {STAGING} "
            "WHERE rid > :base ON CONFLICT (edition_id, nik_hmac) DO NOTHING RETURNING id, public_id", params,
        ).all()
        made = {self.base + row[0]: row[1] for row in chunk}
        self.kept_ids += existing + sum(1 for rid, public_id in returned if made[rid] != public_id)
        if len(returned) + existing < len(made) - self._rejected_in_chunk:
            self._drop_duplicates_of_this_import()
        self.imported += len(returned) + existing
        if self.programs:
            parts = [f"SELECT rid, :program{i}, p{i}, p{i}_period FROM {STAGING} WHERE p{i} OR p{i}_period IS NOT NULL"  # nosec B608
                     for i in range(len(self.programs))]
            self._run("INSERT INTO recipient_programs (recipient_id, program_id, receives, period) "
                      + " UNION ALL ".join(parts),
                      {f"program{i}": program.program_id for i, program in enumerate(self.programs)})
        self._run(f"TRUNCATE {STAGING}" if self.postgres else f"DELETE FROM {STAGING}")  # nosec B608

    def _drop_repeats_within(self, chunk: list[tuple]) -> list[tuple]:
        """Keep the first row of each NIK in the chunk; earlier chunks are the database's business."""
        self._rejected_in_chunk = 0
        first: dict[str, int] = {}
        kept = []
        for row in chunk:
            line, nik_hmac = row[0], row[2]
            if nik_hmac in first:
                self.duplicates.append((line, first[nik_hmac]))
            else:
                first[nik_hmac] = line
                kept.append(row)
        return kept

    @property
    def _public_id(self) -> str:
        lookups = [
            f"(SELECT r.public_id FROM recipients r WHERE r.edition_id = :s{i} AND r.nik_hmac = {STAGING}.nik_hmac)"  # nosec B608
            for i in range(len(self.sources))
        ]
        return f"COALESCE({', '.join([*lookups, 'public_id'])})" if lookups else "public_id"

    @property
    def _source_params(self) -> dict[str, int]:
        return {f"s{i}": source for i, source in enumerate(self.sources)}

    def _stage(self, chunk: list[tuple]) -> None:
        raw = self.connection.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            if self.postgres:
                with cursor.copy(f"COPY {STAGING} ({', '.join(self.columns)}, rid) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row((*row, self.base + row[0]))
            else:
                marks = ", ".join("?" * (len(self.columns) + 1))
                cursor.executemany(f"INSERT INTO {STAGING} ({', '.join(self.columns)}, rid) VALUES ({marks})",  # nosec B608
                                   [(*row, self.base + row[0]) for row in chunk])
        finally:
            cursor.close()

    def _match_existing(self) -> int:
        """Re-run: point rows at the edition's existing row and update it; return how many matched.

        A NIK seen in an earlier chunk is dropped: a new person's row has the id base + its
        first line, an existing person's row is in the SEEN table with the line that matched first.
        """
        params = {"e": self.edition_id, "base": self.base}
        self._run(f"UPDATE {STAGING} SET rid = r.id FROM recipients r "  # nosec B608
                  f"WHERE r.edition_id = :e AND r.nik_hmac = {STAGING}.nik_hmac", params)
        earlier = self._run(f"SELECT line, rid - :base FROM {STAGING} WHERE rid > :base AND rid <> :base + line",  # nosec B608
                            params).all()
        earlier += self._run(f"SELECT s.line, seen.line FROM {STAGING} s JOIN {SEEN} seen ON seen.id = s.rid").all()  # nosec B608
        self._reject([tuple(row) for row in earlier])
        self._rejected_in_chunk += len(earlier)
        self._run(
            "UPDATE recipients SET village_code = s.village_code, rt = s.rt, rw = s.rw, name = s.name, "  # nosec B608
            f"name_key = s.name_key, kk_hmac = s.kk_hmac, desil = s.desil FROM {STAGING} s "
            "WHERE s.rid <= :base AND recipients.id = s.rid", params,
        )
        return self._run(f"INSERT INTO {SEEN} (id, line) SELECT rid, line FROM {STAGING} WHERE rid <= :base",  # nosec B608
                         params).rowcount

    def _drop_duplicates_of_this_import(self) -> None:
        """Find the staged rows that were not inserted: their NIK came with an earlier chunk."""
        params = {"e": self.edition_id, "base": self.base}
        rows = self._run(
            f"SELECT s.line, r.id - :base FROM {STAGING} s JOIN recipients r ON r.edition_id = :e "  # nosec B608
            "AND r.nik_hmac = s.nik_hmac WHERE s.rid > :base AND r.id <> s.rid", params,
        ).all()
        self._reject([tuple(row) for row in rows])

    def _reject(self, rows: list[tuple[int, int]]) -> None:
        if not rows:
            return
        self.duplicates.extend(rows)
        lines = [line for line, _first in rows]
        for start in range(0, len(lines), 500):
            part = lines[start:start + 500]
            marks = ", ".join(f":l{i}" for i in range(len(part)))
            self._run(f"DELETE FROM {STAGING} WHERE line IN ({marks})", {f"l{i}": n for i, n in enumerate(part)})  # nosec B608
