"""The prepared statements compiled for SQLite (store/sqlite_statements.py) are those the
builders of store/statements.py compile to today: the SQL is written once."""

from __future__ import annotations

from contenthub_async.store.compile_sqlite import GENERATED, render_module
from contenthub_async.store.statements import BUILDERS, PRECOMPILED


def test_the_compiled_statements_are_current() -> None:
    assert GENERATED.read_text(encoding="utf-8") == render_module(), "run scripts/compile-sqlite-statements"


def test_every_precompiled_statement_is_named_once_and_built_by_a_known_builder() -> None:
    keys = [prepared.key for prepared in PRECOMPILED]
    assert len(keys) == len(set(keys))
    assert {prepared.builder for prepared in PRECOMPILED} == set(BUILDERS)
