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


# ---- import directions (architecture.md "Rooms") ------------------------------------------------------------

GROUND_FLOOR = {"config", "config_schema", "home", "schemas", "errors", "settings", "masking", "modes", "lake",
                "progress", "runlock", "notify", "vault"}
# room -> the rooms it may import (its own always); the package face (cli, steps, serve, bench, ...) imports any
MAY_IMPORT = {
    "ground floor": {"ground floor"},
    "readers": {"ground floor"},
    "expectations": {"ground floor"},
    "warehouse": {"ground floor"},
    "dashboard": {"ground floor"},
    "flows": {"ground floor", "readers", "expectations", "warehouse", "package face"},
}
# within the ground floor: the vault (patient ids -> keys) is for the readers' caller only
NEVER = {"expectations": {"clinicops.vault"}, "warehouse": {"clinicops.vault", "clinicops.lake"},
         "dashboard": {"clinicops.vault", "clinicops.lake"}}


def _is_submodule(name: str) -> bool:
    package = ROOT / "clinicops"
    return (package / f"{name}.py").exists() or (package / name).is_dir() or (ROOT / name).is_dir()


def room_of(module: str) -> str:
    """The room of a module; `clinicops` itself (its __init__: the version, nothing imported) is ground floor."""
    parts = module.split(".")
    if module == "clinicops":
        return "ground floor"
    if parts[0] != "clinicops":
        return "package face"
    second = parts[1]
    if second == "sources":
        return "readers"
    if second in ("flows", "expectations", "warehouse", "dashboard", "transforms"):
        return second
    return "ground floor" if second in GROUND_FLOOR else "package face"


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] != "clinicops":  # flows/, expectations/, warehouse/ install inside the clinicops namespace
        parts.insert(0, "clinicops")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "clinicops" else [
                f"clinicops.{a.name}" if _is_submodule(a.name) else "clinicops" for a in node.names]
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, name) for line, name in found if name == "clinicops" or name.startswith("clinicops.")]


def test_every_room_imports_only_the_rooms_below_it() -> None:
    """Data moves one way: the ground floor (config, home, the lake's schemas, ...) imports no room; the readers,
    the suites, the warehouse and the dashboard import only the ground floor; only the flow (and the package
    face: cli, steps, serve, bench) puts rooms together. The warehouse never reaches the vault or the inbox."""
    wrong = []
    checked = 0
    for room in PYTHON_ROOMS:
        for path in sources(room):
            module = module_name(path)
            own = room_of(module)
            if own == "package face":
                continue
            checked += 1
            allowed = MAY_IMPORT[own] | {own}
            for line, imported in imports_of(path):
                target = room_of(imported)
                if target not in allowed or imported in NEVER.get(own, ()):
                    wrong.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {imported} ({target})")
    assert checked > 40
    assert not wrong, "\n".join(wrong)


def test_the_lake_schemas_live_on_the_ground_floor() -> None:
    assert (ROOT / "clinicops" / "schemas.py").is_file()
    assert not (ROOT / "clinicops" / "sources" / "schemas.py").exists()
    assert room_of("clinicops.schemas") == "ground floor"
    assert room_of("clinicops.sources.common") == "readers"
    assert room_of("clinicops.warehouse.raw") == "warehouse"
    assert not imports_of(ROOT / "clinicops" / "__init__.py")
