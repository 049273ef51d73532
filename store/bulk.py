"""executemany handed straight to the database driver, for the statements that write thousands of rows at once
(planning every meeting, a burst of reminders).

SQLAlchemy's per-row parameter handling (≈20–40 µs a row) costs more than the database's own work there. Values
still go through their column type's bind processor (JSON, datetimes on SQLite), once per distinct value object:
rows written together share most of theirs (one reminder text for a whole group, one time for thousands).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


def executemany(connection: Connection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
    """Runs `statement` once per row, in one driver call. Each key of the rows names a bindparam of the statement,
    typed where its values need converting (`bindparam("at", type_=column.type)`)."""
    if not rows:
        return
    dialect = connection.dialect
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    processors: dict[str, Callable[[Any], Any] | None] = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()
    }
    # (column, id() of a value) → (the value, kept alive so its id is not reused; the processed value).
    done: dict[tuple[str, int], tuple[Any, Any]] = {}

    def convert(name: str, value: Any) -> Any:
        process = processors.get(name)
        if process is None or value is None:
            return value
        key = (name, id(value))
        if key not in done:
            done[key] = (value, process(value))
        return done[key][1]

    names = compiled.positiontup
    params: list[Any]
    if names is not None:
        params = [tuple(convert(name, row[name]) for name in names) for row in rows]
    else:
        params = [{name: convert(name, row[name]) for name in processors} for row in rows]
    connection.exec_driver_sql(compiled.string, params)
