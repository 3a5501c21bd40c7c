"""Papermill templates: each is generated from its `Section` (and checked against it here), the packaged copies equal
nbs/sections, every template declares the runner's parameters with tiny offline MiniWorld defaults, and reports its
section's question, tables, plots and reading."""
import json
from pathlib import Path

from synbench.runner import SECTIONS, template_path, template_parameters
from synbench.sections import SECTIONS as REGISTRY, COMMON_PARAMS, section_template, template_problems

ROOT = Path(__file__).parents[1]
COMMON = {"model", "suite", "data_root", "run", "run_dir", "sidecar", "cache_dir", "device", "batch_size", "limit", "seed", "n_boot"}


def test_every_template_is_its_sections():
    "A template differs from its Section's only when someone edited one and not the other: both must be redone."
    assert list(SECTIONS) == list(REGISTRY)
    for s in SECTIONS:
        assert template_problems(s, template_path(s)) == [], s
        assert list(template_parameters(s)) == REGISTRY[s].parameter_names, s


def test_a_changed_template_is_caught(tmp_path):
    nb = section_template("ood"); nb["cells"][2]["source"] = nb["cells"][2]["source"].replace('score = "msp"', 'score = "entropy"')
    (tmp_path / "ood.ipynb").write_text(json.dumps(nb))
    assert "cell 2 differs" in template_problems("ood", tmp_path / "ood.ipynb")[0]


def test_packaged_templates_equal_sources():
    src = ROOT / "nbs" / "sections"
    if not src.is_dir(): return  # installed package without the sources
    for s in SECTIONS:
        pkg = ROOT / "synbench" / "templates" / f"{s}.ipynb"
        assert pkg.exists(), f"{pkg} missing: run `make export` (synbench.runner.sync_templates)"
        assert pkg.read_bytes() == (src / f"{s}.ipynb").read_bytes(), f"{pkg.name} is stale: run `make export`"


def test_parameters_and_tiny_offline_defaults():
    for s in SECTIONS:
        p = template_parameters(s)
        assert COMMON <= set(p), (s, COMMON - set(p))
        assert p["suite"] == '"miniworld"' and p["limit"] == "16" and p["sidecar"] == '""'
        assert p["model"].startswith('"miniworld') and COMMON_PARAMS["suite"] == "miniworld"


def test_templates_report_something():
    for s in SECTIONS:
        nb = json.loads(template_path(s).read_text())
        md = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        code = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert md.lstrip().startswith("#") and "## Results" in md and "## Plots" in md and "## Reading" in md
        assert f"S.get_section({s!r})" in code and "section.run(parameters)" in code and "section.reading(" in code
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1


def test_bootstrap_default_everywhere():
    "Issue 13 item 5: >= 1000 resamples by default in every template, in `Evaluation` and in the stats functions."
    import inspect
    from synbench.metrics.stats import N_BOOT, bootstrap_ci
    from synbench.sections import Evaluation
    assert N_BOOT >= 1000
    for s in SECTIONS: assert int(template_parameters(s)["n_boot"]) == N_BOOT, s
    assert inspect.signature(Evaluation).parameters["n_boot"].default == N_BOOT
    assert inspect.signature(bootstrap_ci).parameters["n_boot"].default == N_BOOT
