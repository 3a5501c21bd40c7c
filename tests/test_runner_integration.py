"""Integration: every section through papermill via the `synbench` CLI on MiniWorld at test size
(`synbench.testing`: shipped models, 8-image sets),
on the local executor (2 worker processes) and on a two-worker Dask LocalCluster, with equal results;
`synbench report` writes every table and figure; a rerun skips finished jobs; kill -9 then rerun equals an
uninterrupted run; a second run on the same directory is refused; one failed job does not stop the others
(its notebook goes to <stem>.failed.ipynb).

One test function on purpose: pytest-xdist would otherwise run the expensive shared runs once per worker."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import pandas as pd

from synbench import testing as T

EXE = str(Path(sys.executable).parent / "synbench")
SECTIONS = ["calibration", "ood", "adversarial", "corruptions", "biases", "ablations"]
GRID = T.GRID
OPTS = ["--limit", "8", "--n-boot", "10", "--param", "severities=[1]", "--param", 'corruptions_2d=["shot_noise","snow"]',
        "--param", 'corruptions_3d=["near_focus","fog_3d"]', "--param", "steps=3", "--suite", T.suite_json(8), "--quiet"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def synbench(*args, **kw):
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=ENV, **kw)


def records(run_dir):
    return {f"{f.parent.name}/{f.name}": json.loads(f.read_text())["records"]
            for f in sorted(Path(run_dir, "reports").glob("*/*.json"))}


def report_output_problems(path) -> list:
    "What an executed report shows that it should not: anything on stderr (a warning), a stray return value, an error."
    out = []
    for i, c in enumerate(json.loads(Path(path).read_text())["cells"]):
        for o in c.get("outputs", []):
            if o["output_type"] == "stream" and o["name"] == "stderr": out.append(f"cell {i} stderr: {''.join(o['text'])[:200]}")
            elif o["output_type"] == "execute_result": out.append(f"cell {i} returns {''.join(o['data'].get('text/plain', ''))[:200]}")
            elif o["output_type"] == "error": out.append(f"cell {i} error: {o['ename']}")
    return out


def test_report_output_problems(tmp_path):
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stderr", "text": ["TqdmWarning: IProgress not found"]},
        {"output_type": "execute_result", "data": {"text/plain": ["PosixPath('x.json.partial')"]}, "metadata": {}, "execution_count": 1},
        {"output_type": "display_data", "data": {"text/plain": ["fine"]}, "metadata": {}}]}]}
    (tmp_path / "r.ipynb").write_text(json.dumps(nb))
    assert [p.split(":")[0] for p in report_output_problems(tmp_path / "r.ipynb")] == ["cell 0 stderr", "cell 0 returns PosixPath('x.json.partial')"]


def wait(pred, timeout=300, poll=0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred(): return True
        time.sleep(poll)
    return False


def test_integration_end_to_end(tmp_path):
    base = tmp_path
    args = ["run", "--grids", GRID, "--sections", *SECTIONS, "--run", "int", *OPTS]
    # 1. every section, local executor with 2 worker processes
    local = synbench(*args, "--models", "miniworld/resnet-real", "--runs-dir", str(base / "local"), "--workers", "2")
    assert local.returncode == 0, local.stdout + local.stderr
    # a synthetic-trained model for the sections the figures compare (Fig. 1 radar, Fig. 3, Fig. 4)
    local2 = synbench("run", "--models", "miniworld/resnet-syn", "--sections", "calibration", "biases", "--run", "int",
                      *OPTS, "--runs-dir", str(base / "local"), "--workers", "2")
    assert local2.returncode == 0, local2.stdout + local2.stderr
    # 2. the same jobs on a two-worker Dask LocalCluster: identical records
    dask = synbench(*args, "--models", "miniworld/resnet-real", "--runs-dir", str(base / "dask"), "--executor", "dask", "--workers", "2")
    assert dask.returncode == 0, dask.stdout + dask.stderr
    a, b = records(base / "local" / "int"), records(base / "dask" / "int")
    assert len(a) == 5 + 1 + 2 and len(b) == 5 + 1 and set(b) <= set(a)
    assert {k.split("/")[0] for k in b} == set(SECTIONS)
    for k in b: assert a[k] == b[k], k
    for sec in SECTIONS: assert list((base / "local" / "int" / "reports" / sec).glob("*.ipynb"))
    sc = json.loads((base / "local/int/reports/calibration/miniworld__resnet-real.json").read_text())
    prov = sc["provenance"]
    assert prov["packages"]["torch"] and "synbench_git_commit" in prov and sc["parameters"]["limit"] == 8
    assert prov["model_provenance"]["model_hash"] and prov["model_provenance"]["spec"]["family"] == "supervised"
    assert not list((base / "local" / "int" / "reports").glob("*/*.partial"))
    for nb in sorted((base / "local" / "int" / "reports").glob("*/*.ipynb")):   # every output of every executed report
        assert report_output_problems(nb) == [], nb

    # 3. a rerun skips every finished job
    r = synbench(*[x for x in args if x != "--quiet"], "--models", "miniworld/resnet-real", "--runs-dir", str(base / "local"))
    assert r.returncode == 0 and "6 already done, 0 to run" in r.stdout, r.stdout

    # 4. synbench report: every table and figure; local and Dask give the same result files
    for ex in ("local", "dask"):
        r = synbench("report", str(base / ex / "int"), "--figures", str(base / ex / "figures"))
        assert r.returncode == 0, r.stderr
    out = base / "local" / "int" / "report"
    tables = {p.name for p in (out / "tables").iterdir()}
    for stem in ("table1_ood", "table2_adversarial", "table3_corruptions", "table4_context_bias",
                 "table5_background_bias", "table6_ablation_prompts", "fig3_calibration", "fig4_shape_bias"):
        assert {f"{stem}.md", f"{stem}.tex"} <= tables, stem
    figs = {p.name for p in (base / "local" / "figures").iterdir()}
    for stem in ("fig1_radar", "fig3_error_vs_ece", "fig4_shape_bias"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= figs
    res = pd.read_csv(out / "results.csv")
    assert set(res.section) == set(SECTIONS) and res.value.notna().any()
    t2 = (out / "tables" / "table2_adversarial.md").read_text()
    assert "miniworld/resnet-real" in t2 and "FGSM eps=1/255" in t2
    beside = (out / "beside_paper.md").read_text()
    assert "ResNet50" in beside and "SynCLIP" in beside and "miniworld/resnet-syn" in beside
    r_dask = pd.read_csv(base / "dask" / "int" / "report" / "results.csv")
    pd.testing.assert_frame_equal(res[res.model.isin(set(r_dask.model))].reset_index(drop=True), r_dask)
    assert (out / "tables/table6_ablation_prompts.tex").read_bytes() == (base / "dask/int/report/tables/table6_ablation_prompts.tex").read_bytes()

    # 5. kill -9 in the middle of a run; a concurrent run is refused meanwhile; the rerun finishes and equals (1)
    kdir = base / "killed"
    kargs = ["run", "--models", "miniworld/resnet-real", "--sections", "calibration", "ood", "--run", "int", *OPTS,
             "--runs-dir", str(kdir)]
    p = subprocess.Popen([EXE, *kargs], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                         start_new_session=True)
    lock, rep = kdir / "int" / ".run.lock", kdir / "int" / "reports"
    assert wait(lambda: lock.exists() and lock.read_text().startswith("pid"))
    r2 = synbench(*kargs)
    assert r2.returncode == 3 and "refused" in r2.stderr and "in use by pid" in r2.stderr, (r2.returncode, r2.stderr)
    assert wait(lambda: list(rep.glob("ood/.*.running.ipynb")) or p.poll() is not None)
    assert p.poll() is None, "the run finished before it could be killed"
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    assert (rep / "calibration" / "miniworld__resnet-real.json").exists()
    assert not (rep / "ood" / "miniworld__resnet-real.json").exists()      # the interrupted job left no result
    # rerun, with one more model that passes the pre-flight check but cannot load (a registry model whose
    # checkpoint is not on disk): its jobs fail, the others finish
    r = synbench(*[x if x != "miniworld/resnet-real" else "miniworld/resnet-real,SynResNet50" for x in kargs])
    assert r.returncode == 1, r.stdout + r.stderr
    summary = json.loads((kdir / "int" / "summary.json").read_text())
    assert {f["job"] for f in summary["failed"]} == {"calibration/SynResNet50", "ood/SynResNet50"}
    assert all(Path(f["report"]).exists() and f["report"].endswith(".failed.ipynb") and "not found" in f["error"]
               for f in summary["failed"]), summary["failed"]
    assert not (rep / "calibration" / "SynResNet50.ipynb").exists()      # a failed job writes no report
    assert summary["counts"] == {"done": 1, "skipped": 1, "failed": 2}
    k = records(kdir / "int")
    for key in ("calibration/miniworld__resnet-real.json", "ood/miniworld__resnet-real.json"):
        assert k[key] == a[key], key                    # resumed results equal the uninterrupted run's
