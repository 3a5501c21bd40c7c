"""The package's imports form no cycle: every `import` and `from ... import` statement of synbench, at module
level or inside a function (a deferred import is still a dependency), read from the source by AST.

An edge goes from a module to the module it names: `from synbench.models.spec import ModelSpec` is an edge to
`synbench.models.spec`, `from synbench.models import sources` one to `synbench.models.sources` (a submodule),
`from synbench.models import load_model` one to `synbench.models` (the package's `__init__`). As in grimp and
import-linter, importing a submodule is not counted as importing its parent package: a package `__init__` that
re-exports its submodules sits above them. That importing any module first still works is checked apart, in a
fresh interpreter per module.
"""
import ast, os, subprocess, sys
from pathlib import Path

import pytest

import synbench

PKG = Path(synbench.__file__).parent


def module_name(path: Path, root: Path) -> str:
    "The dotted name of the module at `path` in the package rooted at `root` (`root`'s folder name is the package)."
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__": parts = parts[:-1]
    return ".".join(parts)


def import_graph(root: Path) -> dict:
    "{module: {modules of the same package it imports}} from every import statement in the package's files, deferred ones included."
    pkg = root.name
    files = {module_name(p, root): p for p in root.rglob("*.py") if p.name != "_modidx.py"}
    graph = {m: set() for m in files}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:   # relative: from the module's package, one level up per extra dot
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    src = ".".join(base + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                targets = [f"{src}.{a.name}" if f"{src}.{a.name}" in files else src for a in node.names]
            for t in targets:
                while t and t not in files and "." in t: t = t.rsplit(".", 1)[0]   # 'synbench.x.fn' -> 'synbench.x'
                if t in files and t.split(".")[0] == pkg and t != mod: graph[mod].add(t)
    return graph


def find_cycle(graph: dict):
    "One import cycle as a list [m1, m2, ..., m1], or None."
    state, stack = {}, []
    def visit(m):
        state[m] = "open"; stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == "open": return stack[stack.index(n):] + [n]
            if n not in state:
                c = visit(n)
                if c: return c
        state[m] = "done"; stack.pop()
        return None
    for m in sorted(graph):
        if m not in state:
            c = visit(m)
            if c: return c
    return None


def test_the_detector_finds_a_deferred_cycle(tmp_path):
    "A cycle closed by an import inside a function, through a relative import and a package re-export, is found."
    p = tmp_path / "pkg"; (p / "sub").mkdir(parents=True)
    (p / "__init__.py").write_text("")
    (p / "sub" / "__init__.py").write_text("from .b import g\n")
    (p / "a.py").write_text("import os\ndef f():\n    from pkg.sub import g\n    return g\n")
    (p / "sub" / "b.py").write_text("from ..a import f\ndef g(): return 1\n")
    g = import_graph(p)
    assert g["pkg.a"] == {"pkg.sub"} and g["pkg.sub"] == {"pkg.sub.b"} and g["pkg.sub.b"] == {"pkg.a"}
    assert find_cycle(g) in (["pkg.a", "pkg.sub", "pkg.sub.b", "pkg.a"],)
    (p / "sub" / "b.py").write_text("def g(): return 1\n")
    assert find_cycle(import_graph(p)) is None


def test_no_import_cycle_in_synbench():
    g = import_graph(PKG)
    assert "synbench.models.sources" in g["synbench.worlds"] or "synbench.models" in g["synbench.worlds"]
    assert "synbench.models.spec" in g["synbench.miniworld.zoo"]        # deferred imports are read too
    assert "synbench.miniworld.zoo" in g["synbench.models.sources"]
    cycle = find_cycle(g)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_model_layer_imports_nothing_above_it():
    "The spec, the Classifier, the builders and the registry import nothing of the source table, MiniWorld or the sections."
    g = import_graph(PKG)
    above = {"synbench.models.sources", "synbench.models", "synbench.miniworld", "synbench.worlds", "synbench.sections"}
    for m in ("synbench.models.spec", "synbench.models.classifier", "synbench.models.build", "synbench.models.registry",
              "synbench.models.heads"):
        assert not {t for t in g[m] if t in above or t.startswith("synbench.miniworld")}, (m, g[m])


@pytest.mark.parametrize("mod", ["synbench.miniworld", "synbench.models.registry", "synbench.worlds"])
def test_each_module_imports_first(mod):
    "Whichever module a user imports first, the package's own imports resolve (no partially initialised module)."
    r = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(PKG.parent), "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
