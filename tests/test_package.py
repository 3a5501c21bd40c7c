"""Package-level checks: the installed package imports, ships its data files, and the CLI starts."""
import json, subprocess, sys
from pathlib import Path

import synbench
from synbench.core import resource_path


def test_version_matches_settings():
    ini = Path(__file__).parents[1] / "settings.ini"
    version = [l.split("=", 1)[1].strip() for l in ini.read_text().splitlines() if l.startswith("version")][0]
    assert synbench.__version__ == version


def test_reference_files_ship_with_sources():
    sources = resource_path("SOURCES.md").read_text()
    for f in resource_path("SOURCES.md").parent.iterdir():
        if f.name != "SOURCES.md":
            assert f"`{f.name}`" in sources, f"{f.name} has no source line in SOURCES.md"
    cc = json.loads(resource_path("cue_conflict_16class_imagenet_indices.json").read_text())
    assert len(cc["categories"]) == 16


def test_cli_help_and_unknown_command():
    exe = Path(sys.executable).parent / "synbench"
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "datasets check" in r.stdout
    r = subprocess.run([str(exe), "nope"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_python_dash_m_synbench_is_the_cli():
    r = subprocess.run([sys.executable, "-m", "synbench", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "commands:" in r.stdout and "models list" in r.stdout


def test_top_level_api_is_lazy_and_complete():
    "`import synbench` loads no torch; the API names resolve on first use."
    code = ("import sys, synbench as sb; assert 'torch' not in sys.modules; "
            "assert callable(sb.list_models) and callable(sb.load_model) and callable(sb.open_dataset) and callable(sb.evaluate)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    try: synbench.no_such_name
    except AttributeError as e: assert "no_such_name" in str(e)
    else: raise AssertionError("an unknown attribute must raise AttributeError")


def _import_graph(pkg: Path) -> dict:
    "module -> the package modules it imports (every import in its AST, deferred ones inside functions included)."
    import ast
    mods = {}
    for f in pkg.rglob("*.py"):
        if f.name == "_modidx.py": continue
        rel = f.relative_to(pkg.parent).with_suffix("")
        mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = f
    def target(t):
        while t and t not in mods: t = t.rpartition(".")[0]
        return t
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        here = m.split(".") if f.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import): names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else [])) if node.level else node.module
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else: continue
            edges[m] |= {t for t in map(target, names) if t and t != m and t.split(".")[0] == "synbench"}
    return edges


def _cycles(edges: dict) -> list:
    "The import cycles (strongly connected components of more than one module)."
    index, low, stack, on, out = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index); stack.append(v); on.add(v)
        for w in edges[v]:
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    for v in edges:
        if v not in index: visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]] and _cycles({"a": {"b"}, "b": set()}) == []


import pytest

@pytest.mark.xfail(reason="models.core <-> models.registry: issue 14 part A (branch issue14m) removes it; drop this mark at merge", strict=False)
def test_no_import_cycle():
    assert _cycles(_import_graph(Path(synbench.__file__).parent)) == []


def test_no_import_cycle_outside_models():
    cyc = [c for c in _cycles(_import_graph(Path(synbench.__file__).parent)) if c != ["synbench.models.core", "synbench.models.registry"]]
    assert cyc == []
