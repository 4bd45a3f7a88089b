"""The rooms of architecture.md, checked on the source tree: who may write DuckDB, what lives where."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_ROOMS = ["clinicops", "flows", "expectations", "warehouse"]


def sources(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


def test_only_the_warehouse_room_opens_duckdb_for_writing() -> None:
    calls = 0
    for room in ("clinicops", "flows", "expectations"):
        for path in sources(room):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and ast.unparse(node.func) == "duckdb.connect":
                    calls += 1
                    read_only = {k.arg: ast.unparse(k.value) for k in node.keywords}.get("read_only")
                    assert read_only == "True", f"{path.relative_to(ROOT)}:{node.lineno} opens DuckDB for writing"
    assert calls >= 1


def test_transforms_hold_sql_only_one_model_per_file_with_its_sidecar() -> None:
    for path in (ROOT / "transforms").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.suffix in (".sql", ".toml") or path.name == "__init__.py", path
    for sql in (ROOT / "transforms").rglob("*.sql"):
        assert sql.with_suffix(".toml").exists(), f"{sql.name} has no sidecar"
        assert sql.parent.name in ("staging", "core", "marts", "ops")
        body = re.sub(r"--[^\n]*", "", sql.read_text())
        assert body.count(";") <= 1, f"{sql.name}: one query per model file"


def test_the_flow_knows_no_sql_and_parses_nothing() -> None:
    text = (ROOT / "flows" / "nightly.py").read_text()
    assert not re.search(r"\b(select|insert|create table)\b", text, flags=re.I)
    assert "read_csv" not in text and "json.load" not in text


def test_no_code_runs_at_import_time_in_the_rooms() -> None:
    """Module level holds imports, constants, classes and functions only."""
    for room in PYTHON_ROOMS:
        for path in sources(room):
            tree = ast.parse(path.read_text())
            for node in tree.body:
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                    continue  # docstring
                assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign,
                                         ast.AnnAssign, ast.AsyncFunctionDef, ast.If)), (
                    f"{path.relative_to(ROOT)}:{node.lineno} runs code at import time")
                if isinstance(node, ast.If):
                    guard = ast.unparse(node.test)
                    assert guard in ("__name__ == '__main__'", "TYPE_CHECKING"), f"{path}:{node.lineno}"


def test_every_path_under_the_home_comes_from_home_py() -> None:
    """No module but home.py joins a path under the home (`home.root / ...`, `home.lake / ...`)."""
    joins = re.compile(r"\b(home|self\.home)\.[a-z_]+(\([^)]*\))?\s*/\s*[\"'A-Za-z_]")
    for room in PYTHON_ROOMS:
        for path in sources(room):
            if path.name == "home.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                assert not joins.search(line), f"{path.relative_to(ROOT)}:{number} joins a home path: {line.strip()}"
