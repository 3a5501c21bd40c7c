"""The docs site, the README and the JupyterLab kernel (synbench.docs, nbs/95_docs.ipynb).

The site is built from the repository's notebooks as they are committed (stored outputs, nothing executed)
and every page and every internal link of it is checked.
"""
import json, re, shutil, subprocess, sys, time
from pathlib import Path

import pytest

from synbench.docs import (build_docs, check_kernels, check_site, docs_main, kernel_python, make_readme,
                           notebook_order, page_path)

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"


def test_repo_docs_site(tmp_path):
    """Build the site from the repository's notebooks (stored outputs, nothing executed) and check it.

    One test, one build: pytest-xdist would otherwise build the site once per worker."""
    t0 = time.process_time()          # CPU seconds of this process: robust to other jobs sharing the machine
    site = build_docs(NBS, tmp_path / "_docs", use_quarto=False, verbose=False)
    site["seconds"] = time.process_time() - t0
    _pages_in_order(site)
    _links_resolve(site)
    _offline_and_fast(site)
    _math_and_figures(site)


def _pages_in_order(site):
    want = [page_path(nb, NBS) for nb in notebook_order(NBS)]
    assert site["pages"] == want and want[0] == "index.html"
    assert len(set(want)) == len(want), "two notebooks map to the same page"
    for page in want:
        text = (site["dest"] / page).read_text(encoding="utf-8")
        assert '<main class="sb-main">' in text and "<h1" in text, page
    # the sidebar lists every page, in notebook order, on every page
    index = (site["dest"] / "index.html").read_text(encoding="utf-8")
    sidebar = index.split('<nav aria-label="Pages" class="sb-sidebar">')[1].split("</nav>")[0]
    hrefs = re.findall(r'<li><a [^>]*href="([^"]+)"', sidebar)
    assert hrefs == want


def _links_resolve(site):
    broken = check_site(site["dest"], site["pages"])
    assert broken == [], "broken links in the docs site:\n" + "\n".join(broken) + \
        "\nbuild problems:\n" + "\n".join(site["problems"])


def _offline_and_fast(site):
    for page in site["dest"].rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', text), f"{page} loads a network asset"
        assert not re.search(r"<script[^>]*\bsrc=", text), f"{page} loads a script (require.js, MathJax, ...)"
    assert (site["dest"] / "_static" / "jupyterlab.css").stat().st_size > 10_000
    assert site["seconds"] < 60, f"the docs build took {site['seconds']:.0f} CPU seconds"


def _math_and_figures(site):
    cal = site["dest"] / "metrics.calibration.html"
    if cal.exists():                            # the metrics notebook defines ECE with display math
        text = cal.read_text(encoding="utf-8")
        assert "$$" not in text
        try: import latex2mathml  # noqa: F401  (docs dependency: TeX -> MathML at build time)
        except ImportError: assert '<pre class="math">' in text     # without it the TeX source is shown
        else: assert "<math" in text
    # every image referenced from a notebook's markdown is a file in the site
    for page in site["dest"].rglob("*.html"):
        for src in re.findall(r'<img[^>]+src="([^"]+)"', page.read_text(encoding="utf-8")):
            if not src.startswith(("data:", "http")):
                assert (page.parent / src).resolve().is_file(), (page, src)


def test_readme_round_trip(tmp_path):
    "README.md is exactly what make_readme writes from nbs/index.ipynb, and its relative links resolve."
    out = make_readme(NBS, tmp_path / "README.md")
    generated = out.read_text(encoding="utf-8")
    assert generated == (ROOT / "README.md").read_text(encoding="utf-8"), \
        "README.md is out of date: run `make export` (it calls synbench.docs.make_readme)"
    assert generated.startswith("# ")
    in_fence = False
    for line in generated.splitlines():
        if line.lstrip().startswith("```"): in_fence = not in_fence
        if in_fence: continue
        for url in re.findall(r"\]\(\s*<?([^)\s>]+)", line) + re.findall(r'\s(?:src|href)="([^"]+)"', line):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#", url): continue
            assert (ROOT / url.split("#")[0]).exists(), f"README link {url!r} does not resolve from the repository root"


def test_docs_main_reports_broken_links(tmp_path, capsys):
    (tmp_path / "nbs").mkdir()
    (tmp_path / "settings.ini").write_text("[DEFAULT]\nlib_name = tinylib\nrepo = tinylib\nuser = u\ntitle = tinylib\n"
                                           "lib_path = tinylib\nnbs_path = nbs\ndoc_path = _docs\nversion = 0.1\n")
    cell = lambda s: {"cell_type": "markdown", "metadata": {}, "source": s}
    nb = lambda cells: json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    (tmp_path / "nbs" / "index.ipynb").write_text(nb([cell("# tiny\n\n> t"), cell("[next](01_a.ipynb)")]))
    (tmp_path / "nbs" / "01_a.ipynb").write_text(nb([cell("# a\n\n> a"), cell("[gone](missing.png)")]))
    rc = docs_main(["--nbs", str(tmp_path / "nbs"), "--dest", str(tmp_path / "site"), "--no-quarto"])
    err = capsys.readouterr().err
    assert rc == 1 and "broken link: a.html: missing.png" in err
    assert 'href="a.html"' in (tmp_path / "site" / "index.html").read_text()
    (tmp_path / "nbs" / "01_a.ipynb").write_text(nb([cell("# a\n\n> a"), cell("[home](index.ipynb)")]))
    assert docs_main(["--nbs", str(tmp_path / "nbs"), "--dest", str(tmp_path / "site"), "--no-quarto"]) == 0
    with pytest.raises(ValueError, match="refusing to overwrite"):
        build_docs(tmp_path / "nbs", tmp_path / "nbs", use_quarto=False)
    with pytest.raises(ValueError, match="is not a folder"):
        check_site(tmp_path / "nowhere")


def test_notebook_kernels_exist_in_this_environment():
    "Every notebook names a kernel that Jupyter in this environment finds, and it runs this environment's Python."
    assert check_kernels(NBS) == []
    assert Path(kernel_python("python3")).parent.resolve() == Path(sys.executable).parent.resolve()


@pytest.mark.skipif(shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None,
                    reason="jupyter is not installed in this environment")
def test_jupyter_lab_and_kernelspec_list():
    bindir = Path(sys.executable).parent
    r = subprocess.run([str(bindir / "jupyter"), "kernelspec", "list", "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    specs = json.loads(r.stdout)["kernelspecs"]
    assert "python3" in specs
    if "synbench" in specs:                      # installed by `make lab`: must run this environment's Python
        argv0 = specs["synbench"]["spec"]["argv"][0]
        assert Path(argv0).parent.resolve() == bindir.resolve(), argv0
    if (bindir / "jupyter-lab").exists():
        r = subprocess.run([str(bindir / "jupyter"), "lab", "--help"], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "JupyterLab" in r.stdout, r.stderr[-2000:]


def test_quarto_branch_runs_nbdev_docs(tmp_path, monkeypatch):
    "With Quarto, build_docs runs nbdev_docs in the project and copies its site (here a stand-in for nbdev_docs)."
    import synbench.docs as D
    (tmp_path / "nbs").mkdir()
    (tmp_path / "settings.ini").write_text("[DEFAULT]\nlib_name = tinylib\nrepo = tinylib\nuser = u\ntitle = tinylib\n"
                                           "lib_path = tinylib\nnbs_path = nbs\ndoc_path = _docs\nversion = 0.1\n")
    (tmp_path / "nbs" / "index.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    calls = []
    def fake_run(cmd, check):
        calls.append((cmd, Path.cwd()))
        (Path.cwd() / "_docs").mkdir(); (Path.cwd() / "_docs" / "index.html").write_text("<html></html>")
        (Path.cwd() / "_docs" / "sitemap.xml").write_text("<urlset/>")
    monkeypatch.setattr(D.subprocess, "run", fake_run)
    monkeypatch.setattr(D.shutil, "which", lambda name: "/usr/bin/quarto" if name == "quarto" else None)
    r = build_docs(tmp_path / "nbs", tmp_path / "site")
    assert r["builder"] == "quarto" and r["pages"] == ["index.html"]
    assert calls[0][0][0].endswith("nbdev_docs") and calls[0][1] == tmp_path.resolve()
    assert (tmp_path / "site" / "index.html").exists() and check_site(tmp_path / "site") == []
