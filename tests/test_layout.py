"""The package layout's promises: imports run one way, no cycles, no Streamlit under nerlib, old
import paths still work (with a DeprecationWarning naming the new path)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from nerlib.old_paths import ANSWERED_IN_PLACE, MOVED

REPO = Path(__file__).resolve().parent.parent
NERLIB = REPO / "nerlib"
# Left to right; a module may import its own subpackage and anything to its left.
LAYERS = ["settings", "errors", "old_paths", "data", "text", "modeling", "runs", "tagging", "evaluation", "quality", "views",
          "localizer", "serving", "commands", "cli", "__main__"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def nerlib_imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The nerlib modules ``path`` imports (every import, or only those run at import time)."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("nerlib")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nerlib"):
            found.add(node.module)
            for alias in node.names:  # `from nerlib.runs import folder` imports a module
                if (NERLIB.parent / (node.module + "." + alias.name).replace(".", "/")).with_suffix(".py").exists():
                    found.add(f"{node.module}.{alias.name}")
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else -1


SOURCES = sorted(NERLIB.rglob("*.py"))


def test_every_module_sits_in_a_known_layer():
    assert {module_name(p).split(".")[1] for p in SOURCES if module_name(p) != "nerlib"} <= set(LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_run_one_way(path: Path):
    importer = module_name(path)
    if importer == "nerlib":
        return
    wrong = [name for name in sorted(nerlib_imports(path, top_level_only=False))
             if name != "nerlib" and name.split(".")[1] != importer.split(".")[1] and layer(name) >= layer(importer)]
    assert not wrong, f"{importer} imports {wrong}: a layer may import only the layers left of it ({LAYERS})"


def test_no_import_cycle_between_nerlib_modules():
    graph = {module_name(p): {n for n in nerlib_imports(p, top_level_only=True)} for p in SOURCES}
    # an import of a submodule also runs its packages' __init__ (already running for the importer's own)
    for module in list(graph):
        parents = {".".join(n.split(".")[:i]) for n in graph[module] for i in range(2, n.count(".") + 1)}
        graph[module] |= {p for p in parents if not module.startswith(p + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_streamlit_under_nerlib():
    users = [module_name(p) for p in SOURCES
             if any(ast.walk(ast.parse(p.read_text())))
             and any(isinstance(n, (ast.Import, ast.ImportFrom))
                     and any((a.name if isinstance(n, ast.Import) else (n.module or "")).split(".")[0] == "streamlit"
                             for a in n.names)
                     for n in ast.walk(ast.parse(p.read_text())))]
    assert users == []


def test_our_code_uses_no_old_path():
    code = [*NERLIB.rglob("*.py"), *(REPO / "training").rglob("*.py"), *(REPO / "dashboard").rglob("*.py"),
            *(REPO / "bench").rglob("*.py")]
    flat = set(MOVED) - ANSWERED_IN_PLACE
    used = sorted(f"{p.relative_to(REPO)}: {name}" for p in code for name in nerlib_imports(p, top_level_only=False)
                  if name in flat)
    assert used == []


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_import_paths_warn_and_work(old: str):
    # a fresh interpreter: the old module must not be imported already
    homes = MOVED[old]
    packages = ANSWERED_IN_PLACE
    code = f"""
import importlib, warnings
warnings.simplefilter("error", DeprecationWarning)
home = importlib.import_module({homes[0]!r})
package = importlib.import_module({old!r}.rpartition(".")[0] if {old!r} not in {packages!r} else {old!r})
public = getattr(getattr(package, "__getattr__", None), "public", {{}})
name = next(n for n in sorted(vars(home)) if not n.startswith("_") and n not in public
            and getattr(getattr(home, n), "__module__", None) == {homes[0]!r})
try:
    exec("from {old} import " + name)
except DeprecationWarning as warning:
    assert {homes[0]!r} in str(warning), warning
    print("warned")
warnings.simplefilter("ignore", DeprecationWarning)
exec("from {old} import " + name)
assert eval(name) is getattr(home, name)
print("works")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.stdout.split() == ["warned", "works"], result.stderr


def test_new_packages_export_their_public_names_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        from nerlib.data import NER_LABELS, load_conllpp  # noqa: F401
        from nerlib.evaluation import compute_metrics  # noqa: F401
        from nerlib.modeling import PRESETS  # noqa: F401
        from nerlib.runs import list_runs  # noqa: F401
        from nerlib.tagging import Tagger  # noqa: F401
    assert importlib.import_module("nerlib.data").load_conllpp.__module__ == "nerlib.data.conllpp"
