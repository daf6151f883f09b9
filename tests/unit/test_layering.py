"""The package's layers, read from its import statements (those under TYPE_CHECKING and inside
functions included): the entry points (``cli/``, ``http/``, ``daemon/``) never import each other,
except that contenthubd hosts the HTTP listener; nothing below them imports an entry point."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "contenthub_async"

#: Which top-level parts may import each entry point (besides the entry point itself).
IMPORTED_BY = {"cli": set(), "http": {"daemon"}, "daemon": set()}


def imports() -> list[tuple[str, int, str, str]]:
    """(file, line, importing part, imported part) of every ``contenthub_async`` import."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        part = path.relative_to(SRC).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module] if node.module != "contenthub_async" else [
                    f"contenthub_async.{alias.name}" for alias in node.names]
            else:
                continue
            for module in modules:
                names = module.split(".")
                if names[0] == "contenthub_async" and len(names) > 1:
                    found.append((path.relative_to(SRC).as_posix(), node.lineno, part, names[1]))
    return found


def test_the_reader_sees_the_imports_it_judges() -> None:
    pairs = {(importer, imported) for _, _, importer, imported in imports()}
    assert ("daemon", "http") in pairs
    assert ("cli", "texts") in pairs and ("http", "texts") in pairs


def test_no_entry_point_is_imported_from_outside_its_allowed_importers() -> None:
    wrong = [
        f"{file}:{line} imports {imported}/"
        for file, line, importer, imported in imports()
        if imported in IMPORTED_BY and importer != imported and importer not in IMPORTED_BY[imported]
    ]
    assert wrong == []
