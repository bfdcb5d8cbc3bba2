"""Group commit for feedback rows: concurrent submissions share one multi-row INSERT.

Under load, each row waiting while an INSERT is in flight joins the next one; when idle, a row
is written at once. Every caller is answered only after the statement that holds its row has
committed, so an acknowledgement still means the row is stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from piccolo.engine.base import Engine

from portal.store.engine import is_postgres, run_on_driver
from portal.store.tables import Feedback

MAX_ROWS = 64


@dataclass
class _Pending:
    values: list
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class FeedbackWriter:
    """Writes feedback rows of one column layout, batching those that arrive together."""

    def __init__(self, names: tuple[str, ...], reference_index: int):
        self.names = names
        self.reference_index = reference_index
        self.pending: list[_Pending] = []
        self.flushing = False
        self._sql: dict[tuple[int, bool], str] = {}

    async def insert(self, values: list) -> int:
        """Store one row (its reference must be unique); returns its id once committed."""
        item = _Pending(values)
        self.pending.append(item)
        if not self.flushing:
            self.flushing = True
            try:
                while self.pending:
                    batch, self.pending = self.pending[:MAX_ROWS], self.pending[MAX_ROWS:]
                    await self._write(batch)
            finally:
                self.flushing = False
        return await item.future

    async def _write(self, batch: list[_Pending]) -> None:
        engine = Feedback._meta.db
        try:
            rows = await run_on_driver(engine, self._statement(len(batch), is_postgres(engine)),
                                       [v for item in batch for v in item.values])
        except Exception as exc:  # noqa: BLE001
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            # One bad row (a duplicate key, a reference clash) must not fail the others.
            for item in batch:
                await self._write([item])
            return
        ids = {row["reference"]: row["id"] for row in rows}
        for item in batch:
            item.future.set_result(ids[item.values[self.reference_index]])

    def _statement(self, count: int, postgres: bool) -> str:
        """One INSERT for `count` rows, in the driver's own placeholders (built once per size)."""
        sql = self._sql.get((count, postgres))
        if sql is None:
            columns = ", ".join(f'"{n}"' for n in self.names)
            width = len(self.names)
            if postgres:
                rows = ", ".join(
                    "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(count)
                )
            else:
                rows = ", ".join(["(" + ", ".join("?" * width) + ")"] * count)
            sql = self._sql[(count, postgres)] = (
                f'INSERT INTO "feedback" ({columns}) VALUES {rows} RETURNING "id", "reference"'
            )
        return sql


_writers: dict[tuple[int, int, tuple[str, ...]], FeedbackWriter] = {}


def writer_for(engine: Engine, names: tuple[str, ...], reference_index: int) -> FeedbackWriter:
    key = (id(engine), id(asyncio.get_running_loop()), names)
    writer = _writers.get(key)
    if writer is None:
        if len(_writers) > 64:
            _writers.clear()
        writer = _writers[key] = FeedbackWriter(names, reference_index)
    return writer


def in_transaction(engine: Engine) -> bool:
    """Inside a caller's transaction rows must be written by that caller, not batched."""
    current = getattr(engine, "current_transaction", None)
    return bool(current is not None and current.get())
