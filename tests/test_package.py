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


# The import-cycle check (AST, deferred imports included) is tests/test_imports.py.
