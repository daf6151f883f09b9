"""Prepared statements: statements of the store defined once, with SQLAlchemy, and run by
either of two drivers.

A :class:`Prepared` names a builder of ``store/statements.py`` and the builder's arguments
(the statement's shape: which filters, which columns); its values are bound by name when it
runs. SQLAlchemy's engine (``store/connection.py``) builds it on first use. The everyday
commands of ``contenthub-ctl`` on SQLite run on the standard library's ``sqlite3``
(``store/sqlite_driver.py``), which reads the compiled SQL from ``store/sqlite_statements.py``
— generated from the same builders by ``scripts/compile-sqlite-statements``; a test checks it
is current — so those commands never import SQLAlchemy. Functions written with prepared
statements only (``store/everyday.py``) take a :class:`PreparedConnection`: either driver's.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.sql.base import Executable


@dataclass(frozen=True)
class Prepared:
    """The statement ``builder(*args)`` of ``store/statements.py`` (args: hashable, shown by repr)."""

    builder: str
    args: tuple[Any, ...] = ()

    @property
    def key(self) -> str:
        """The statement's name in ``store/sqlite_statements.py``."""
        return f"{self.builder}({', '.join(repr(a) for a in self.args)})"

    def build(self) -> Executable:
        """The SQLAlchemy statement (imports SQLAlchemy)."""
        return _build(self)


@cache
def _build(prepared: Prepared) -> Executable:
    from contenthub_async.store.statements import BUILDERS

    statement: Executable = BUILDERS[prepared.builder](*prepared.args)
    return statement


class PreparedConnection(Protocol):
    """What functions written with prepared statements need of a connection."""

    @property
    def dialect(self) -> Any: ...

    async def execute(self, statement: Prepared, parameters: Any = None) -> Any:
        """Run ``statement`` with ``parameters`` (a dict, or a list of dicts for executemany);
        the result is read without awaiting: ``first()``, ``all()``, ``scalar_one()``, ``rowcount``."""
        ...

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Any:
        """Run SQL text as the driver takes it (PRAGMAs)."""
        ...


class PreparedDatabase(Protocol):
    """What functions written with prepared statements need of a database."""

    @property
    def backend(self) -> str: ...

    def read(self) -> AbstractAsyncContextManager[Any]: ...

    def write(self) -> AbstractAsyncContextManager[Any]: ...

    async def close(self) -> None: ...

