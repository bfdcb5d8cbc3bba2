"""The store owns SQL: outside portal/store/ no module runs a query or branches on the dialect."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "portal" / "store"
QUERY_METHODS = {"select", "objects", "insert", "update", "delete", "count", "exists", "raw", "create_table",
                 "alter", "transaction"}
DIALECT_NAMES = {"run_on_driver", "is_postgres", "engine_type"}


def feature_modules():
    for package in ("portal", "counters"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if STORE not in path.parents:
                yield path


def table_names(tree: ast.Module) -> set[str]:
    """Names a module imports from the store's table modules (Feedback, Service, ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal.store.") \
                and node.module.endswith(".tables"):
            names |= {alias.asname or alias.name for alias in node.names if alias.name[:1].isupper()
                      and not alias.name.isupper()}
    return names


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    tables = table_names(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute):
            if node.attr in DIALECT_NAMES and not (path.name == "settings.py" and node.attr == "is_postgres"):
                found.append(f"{where} uses {node.attr}")
            elif node.attr in QUERY_METHODS and isinstance(node.value, ast.Name) and node.value.id in tables:
                found.append(f"{where} queries {node.value.id}.{node.attr}")
            elif node.attr in ("transaction", "_meta") and isinstance(node.value, ast.Call):
                found.append(f"{where} opens {node.attr} on an engine")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raw":
            found.append(f"{where} calls .raw(")
        elif isinstance(node, ast.Name) and node.id in DIALECT_NAMES:
            found.append(f"{where} uses {node.id}")
        elif isinstance(node, ast.ImportFrom) and node.module == "portal.store.engine":
            wanted = {a.name for a in node.names} & (DIALECT_NAMES | {"current_engine"})
            if wanted:
                found.append(f"{where} imports {', '.join(sorted(wanted))}")
    return found


def test_no_module_outside_the_store_runs_a_query():
    found = [line for path in feature_modules() for line in offences(path)]
    assert found == []


def test_the_check_sees_a_query_and_a_dialect_branch(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from portal.store.core.tables import Feedback\n"
        "from portal.store.engine import is_postgres\n"
        "async def f():\n"
        "    await Feedback.update({Feedback.flagged: True})\n"
        "    if is_postgres():\n"
        "        await Feedback.raw('SELECT 1')\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = offences(planted)
    finally:
        ROOT = saved
    assert any("Feedback.update" in f for f in found)
    assert any("is_postgres" in f for f in found)
    assert any(".raw(" in f for f in found)
