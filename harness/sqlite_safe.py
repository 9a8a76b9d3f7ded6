"""SQLite made safe for OpenStack services written for MySQL (Heat, Keystone).

Class-level SQLAlchemy listeners, so they apply to the engine oslo.db
creates later and run before oslo.db's own per-engine ones. Import this
module before the service, then call install().
"""

import sqlite3

import sqlalchemy
from sqlalchemy import event


def install(foreign_keys=True):
    @event.listens_for(sqlalchemy.engine.Engine, "connect")
    def _sqlite_pragmas(dbapi_con, _record):
        if not isinstance(dbapi_con, sqlite3.Connection):
            return
        cur = dbapi_con.cursor()
        # WAL lets readers run beside the one writer; the busy timeout makes
        # writers queue instead of failing at once.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        # InnoDB enforces foreign keys; oslo.db's sqlite_fk is not passed on.
        if foreign_keys:
            cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(sqlalchemy.engine.Engine, "begin")
    def _sqlite_begin_immediate(conn):
        # A deferred BEGIN lets two read-then-write transactions deadlock, and
        # SQLite then fails at once ("database is locked") without waiting.
        # oslo.db's own begin listener sees the key and does nothing.
        if conn.dialect.name == "sqlite" and "in_transaction" not in conn.info:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.info["in_transaction"] = True
