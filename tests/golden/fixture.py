"""The golden records on disk: which tables they hold, how rows are dumped raw and loaded back unchanged.

A row is dumped as the database stores it: JSON columns as their stored text (never parsed and
re-encoded), instants as their stored text, bytes as base64. Loading binds that text straight into
the column (cast to ``jsonb`` on PostgreSQL), so what the verifier reads is what today's code wrote.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, LargeBinary, Table, Text, bindparam, cast, insert, select
from sqlalchemy.dialects.postgresql import JSONB

from workflow.persistence.store import DOC, DV, ORG, D, E, H, K, U
from workflow.record.tlog import LL
from workflow.record.transparency import LK, TH

RECORDS = Path(__file__).parent / "records"
#: The tables a verification reads (the record's, then the transparency log's), in the order their foreign keys allow them to be loaded.
TABLES: tuple[Table, ...] = (ORG, U, K, DOC, D, E, H, DV, LL, LK, TH)
#: How each table's rows are ordered in its file (stable across regenerations of the same story).
ORDER = {"org": ("id",), "app_user": ("id",), "user_key": ("id",), "document": ("sha256",), "decision": ("id",),
         "audit_event": ("stream", "seq"), "audit_head": ("stream",), "document_version": ("id",),
         "log_leaf": ("log_index",), "log_key": ("key_hash",), "tree_head": ("id",)}
#: Columns never written to a golden record: private key halves and password hashes are not needed to verify,
#: and with the fixture's password on file they would let anyone sign as the story's people.
#: (The log key's private half, a required column, is kept as empty bytes.)
SCRUBBED: dict[str, dict[str, Any]] = {"user_key": {"sealed": None, "wrap": None}, "app_user": {"password_hash": None},
                                       "log_key": {"private_pem": ""}}
#: The file of per-step expectations (state and facts fingerprint after every event) and the story's index.
EXPECTED = "expected.json"


def _is_json(column: Any) -> bool:
    return isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", None), JSON)


def _kind(column: Any) -> str:
    """How a column is written to the fixture: json (stored text), instant (stored text), bytes (base64), or plain."""
    if _is_json(column):
        return "json"
    if isinstance(column.type, DateTime):
        return "instant"
    if isinstance(column.type, LargeBinary):
        return "bytes"
    return "plain"


def dump_table(conn: Connection, table: Table) -> list[dict[str, Any]]:
    """Every row of ``table``, raw: JSON and instants as the text the database holds, bytes as base64."""
    columns = [cast(c, Text).label(c.name) if _kind(c) in ("json", "instant") else c for c in table.columns]
    order = [table.c[name] for name in ORDER[table.name]]
    rows = []
    for row in conn.execute(select(*columns).order_by(*order)):
        out: dict[str, Any] = {}
        for column in table.columns:
            value = row._mapping[column.name]
            if value is not None and _kind(column) == "bytes":
                value = base64.b64encode(bytes(value)).decode("ascii")
            scrubbed = SCRUBBED.get(table.name, {})
            out[column.name] = scrubbed[column.name] if column.name in scrubbed else value
        rows.append(out)
    return rows


def write_records(conn: Connection, expected: dict[str, Any], folder: Path = RECORDS) -> list[Path]:
    """Dump every table of ``TABLES`` to ``folder/<table>.json`` and the expectations to ``expected.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        path = folder / f"{table.name}.json"
        path.write_text(_pretty(dump_table(conn, table)), encoding="utf-8")
        written.append(path)
    path = folder / EXPECTED
    path.write_text(_pretty(expected), encoding="utf-8")
    return [*written, path]


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read_rows(table: Table, folder: Path = RECORDS) -> list[dict[str, Any]]:
    """The fixture rows of ``table``."""
    return json.loads((folder / f"{table.name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def read_expected(folder: Path = RECORDS) -> dict[str, Any]:
    """The story's per-decision expectations."""
    return json.loads((folder / EXPECTED).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _instant(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def load_records(conn: Connection, folder: Path = RECORDS) -> dict[str, int]:
    """Insert every fixture row into a freshly migrated, empty database; returns rows loaded per table."""
    pg = conn.dialect.name == "postgresql"
    loaded = {}
    for table in TABLES:
        rows = read_rows(table, folder)
        values: dict[str, Any] = {}
        for column in table.columns:
            if _kind(column) == "json":
                raw = bindparam(f"v_{column.name}", type_=Text())
                values[column.name] = cast(raw, JSONB) if pg else raw
            else:
                values[column.name] = bindparam(f"v_{column.name}", type_=column.type)
        params = []
        for row in rows:
            bound = {}
            for column in table.columns:
                kind, value = _kind(column), row[column.name]
                if kind == "instant":
                    value = _instant(value)
                elif kind == "bytes" and value is not None:
                    value = base64.b64decode(value)
                bound[f"v_{column.name}"] = value
            params.append(bound)
        if params:
            conn.execute(insert(table).values(values), params)
        loaded[table.name] = len(params)
    if pg:  # later inserts (none in the tests, but a hand-run check may add some) must not collide
        for table in TABLES:
            if "id" in table.c and table.c.id.autoincrement is not False and table.name != "installation":
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))")
    return loaded


__all__ = ["DOC", "DV", "D", "E", "EXPECTED", "H", "K", "LK", "LL", "ORG", "TH", "RECORDS", "TABLES", "U", "load_records",
           "read_expected", "read_rows", "write_records"]
