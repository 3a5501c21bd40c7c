"""Bad input and faults (issue 17): every bad input to `synbench run` is refused before any kernel starts
(exit 2, one message listing every problem, nothing written: no lock, no run directory); a model or dataset
name never runs code; a failed job never replaces a good report, and a failed forced rerun is not counted done;
`synbench report` names a bad sidecar; `--skip-corrupt` records what it skipped; files get the user's umask.

Most cases call the CLI entry points in-process (the pre-flight check starts no kernel, so they take well
under a second each); the fault cases replace papermill's `execute_notebook` to inject the fault."""
import json, os
from pathlib import Path

import pytest

from synbench import runner as R, testing as T
from synbench.report import cli_report

MW = ["--models", T.MODEL, "--sections", "calibration", "--suite", T.suite_json(8)]   # MiniWorld at test size


def refused(tmp_path, capsys, args, want):
    "Run `synbench run ARGS` in a fresh folder: exit 2, `want` in the one message, and nothing written anywhere."
    work = tmp_path / "work"; work.mkdir()
    pwned = work / "PWNED"
    args = [a.replace("{PWNED}", str(pwned)) for a in args]
    cwd = os.getcwd(); os.chdir(work)
    try: rc = R.cli_run([*args, "--runs-dir", str(work / "runs"), "--quiet"])
    finally: os.chdir(cwd)
    err = capsys.readouterr().err
    assert rc == 2, err
    for w in [want] if isinstance(want, str) else want: assert w in err, (w, err)
    assert "nothing was run or written" in err, err
    assert list(work.iterdir()) == [], list(work.iterdir())       # no run dir, no lock, no PWNED
    return err


CASES = {  # name -> (arguments, what the message must say)
    # 1. a name never runs code: not from --models, not from a suite's dataset names, not from --grids
    "model name is code": (["--models", "os:system?command=touch {PWNED}", "--sections", "calibration"], "names Python code"),
    "model code with --allow-code and a query": (["--allow-code", "--models", "os:system?command=touch {PWNED}", "--sections", "calibration"],
                                                "takes no options from its name"),
    "suite dataset is code": ([*MW[:4], "--suite", '{"id": "os:system?command=touch {PWNED}"}'], "names Python code"),
    "grid is code, even with --allow-code": (["--allow-code", "--grids", "os:system?command=touch {PWNED}", "--sections", "ablations"],
                                             "names Python code"),
    "grid model is code": (["--grids", "miniworld/synvit-class-3750+os:getcwd", "--sections", "ablations"], "names Python code"),
    # 2. run names
    "run ..": ([*MW, "--run", ".."], "is not a run name"),
    "run .": ([*MW, "--run", "."], "is not a run name"),
    "run path": ([*MW, "--run", "../elsewhere"], "is not a run name"),
    # 5. --param keys and types
    "unknown key": ([*MW, "--param", "nbins=10"], ["no template declares 'nbins'", "did you mean 'n_bins'"]),
    "mistyped section": ([*MW, "--param", "calibraton.n_bins=10"], ["unknown section 'calibraton'", "did you mean 'calibration'"]),
    "boolean eps": (["--models", "miniworld/resnet-real", "--sections", "adversarial", "--param", "adversarial.eps=true"],
                    "adversarial.eps=true: must be a number"),
    "runner key": ([*MW, "--param", "sidecar=/tmp/x"], "set by the runner"),
    # 6. values checked before any kernel
    "unknown model": (["--models", "miniworld/resnet-rael", "--sections", "calibration"], "did you mean 'miniworld/resnet-real'"),
    "unknown registry model": (["--models", "ResNet5O", "--sections", "calibration", "--suite", "miniworld"], "did you mean 'ResNet50'"),
    "limit 0": ([*MW, "--limit", "0"], "limit=0"),
    "batch size 0": ([*MW, "--batch-size", "0"], "batch_size=0"),
    "eps out of range": (["--models", "miniworld/resnet-real", "--sections", "adversarial", "--param", "eps=2"], "must be in [0, 1]"),
    "unknown corruption": (["--models", "miniworld/resnet-real", "--sections", "corruptions", "--param", 'corruptions_2d=["shot_nosie"]'],
                           "did you mean 'shot_noise'"),
    "unknown score": (["--models", "miniworld/resnet-real", "--sections", "ood", "--param", "score=maxlogit"], "unknown 'maxlogit'"),
    "bad severity": (["--models", "miniworld/resnet-real", "--sections", "corruptions", "--param", "severities=[0]"], "severities 1..5"),
    "data root missing": ([*MW, "--data-root", "/nonexistent/synbench-data"], "is not a directory"),
    "data root without the suite's data": (["--models", "miniworld/resnet-real", "--sections", "calibration", "--suite", "imagenet",
                                            "--data-root", "."], "holds none of the suite's datasets"),
    "unknown section": (["--models", "miniworld/resnet-real", "--sections", "calibraton"], "unknown section 'calibraton'"),
    "unknown grid": (["--grids", "miniworld-synvitt", "--sections", "ablations"], "did you mean 'miniworld-synvit'"),
    # 7. report names that collide
    "report names collide": (["--models", "ResNet50,resnet50", "--sections", "calibration", "--suite", "miniworld"], "report names collide"),
    # 8. device, timeout, seed, suite JSON
    "device foo": ([*MW, "--device", "foo"], "--device 'foo'"),
    "timeout -1": ([*MW, "--timeout", "-1"], "--timeout must be a whole number of seconds > 0"),
    "seed -1": ([*MW, "--seed", "-1"], "seed=-1"),
    "suite JSON broken": ([*MW[:4], "--suite", '{"id": "miniworld/id",'], "suite JSON does not parse"),
    "suite names an unknown dataset": ([*MW[:4], "--suite", '{"id": "miniworld/idd"}'], "did you mean 'miniworld/id'"),
    # issue 13's template parameters are checked like the others; the preset comes from --preset only; --plan checks first
    "unknown native transform": (["--models", "miniworld/resnet-real", "--sections", "corruptions", "--suite", "miniworld",
                                  "--param", "corruptions.native_transform=zoom"], "unknown 'zoom'"),
    "unknown shape-bias grouping": (["--models", "miniworld/resnet-real", "--sections", "biases", "--suite", "miniworld",
                                     "--param", "shape_bias_per_class=texture"], "unknown 'texture'"),
    "allow_partial not a boolean": (["--models", "miniworld/resnet-real", "--sections", "corruptions", "--suite", "miniworld",
                                     "--param", "corruptions.allow_partial=1"], "must be true or false"),
    "preset as a param": ([*MW, "--param", "preset=paper-code"], "use --preset NAME"),
    # the removed toy world: its names are refused, naming MiniWorld and synbench.testing
    "toy model": (["--models", "toy/supervised-real", "--sections", "calibration"], ["the toy world is removed; use MiniWorld", "synbench.testing"]),
    "toy suite": ([*MW[:4], "--suite", "toy"], "the toy world is removed; use MiniWorld"),
    "toy grid": (["--grids", "toy", "--sections", "ablations"], "the toy world is removed; use MiniWorld"),
    "plan with a bad model": (["--plan", "--models", "miniworld/resnet-rael", "--sections", "calibration", "--suite", "miniworld"],
                              "did you mean 'miniworld/resnet-real'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_before_any_job(case, tmp_path, capsys):
    args, want = CASES[case]
    refused(tmp_path, capsys, args, want)


def test_every_problem_in_one_message(tmp_path, capsys):
    err = refused(tmp_path, capsys, ["--models", "miniworld/resnet-rael", "--sections", "calibration", "adversarial", "--run", "..",
                                     "--limit", "0", "--seed", "-1", "--device", "foo", "--param", "adversarial.eps=true",
                                     "--param", "calibraton.n_bins=3"], "7 problems found before starting")
    assert err.count("\n  - ") == 7, err


def test_timeout_must_be_a_whole_number(capsys):
    with pytest.raises(SystemExit) as e: R.cli_run([*MW, "--timeout", "1.5"])
    assert e.value.code == 2 and "invalid int value: '1.5'" in capsys.readouterr().err


def test_setting_for_an_unselected_section_warns(tmp_path):
    warns = R.preflight(["miniworld/resnet-real"], ["calibration"], "w", tmp_path, params={"suite": "miniworld", "eps": 0.1},
                        section_params={"adversarial": {"steps": 3}})
    assert any("used only by adversarial" in w for w in warns), warns
    assert any("section 'adversarial' is not selected" in w for w in warns), warns
    assert list(tmp_path.iterdir()) == []


def test_issue13_parameters_and_presets_pass_the_preflight(tmp_path, capsys):
    "The options issue 13 added to the templates are declared, so the pre-flight check takes them; --preset works with it."
    assert R.preflight(["miniworld/resnet-real"], ["corruptions", "biases"], "p", tmp_path, params={"suite": "miniworld"},
                       section_params={"corruptions": {"allow_partial": True, "native_transform": "resize"},
                                       "biases": {"shape_bias_per_class": "predicted"}}, preset="paper-code") == []
    with pytest.raises(R.PreflightError, match="unknown preset 'paper'"):
        R.preflight(["miniworld/resnet-real"], ["calibration"], "p", tmp_path, params={"suite": "miniworld"}, preset="paper")
    runs = tmp_path / "runs"
    rc = R.cli_run(["--plan", "--preset", "paper-code", "--models", "miniworld/resnet-real", "--sections", "corruptions", "--suite", "miniworld",
                    "--param", "corruptions.allow_partial=true", "--skip-corrupt", "--runs-dir", str(runs)])
    out = capsys.readouterr().out
    assert rc == 0 and not runs.exists() and list(tmp_path.iterdir()) == [], out
    for want in ("allow_partial = True", "native_transform = 'resize'", "skip_corrupt = True", "preset = 'paper-code'"):
        assert want in out, (want, out)


def test_allow_code_runs_a_factory_named_on_the_command_line_only(tmp_path):
    jobs = R.plan(["synbench.testing:model"], ["calibration"], tmp_path, params={"allow_code": True})
    assert jobs[0].parameters["allow_code"] is True
    assert R.preflight(["synbench.testing:model"], ["calibration"], "c", tmp_path, params={"suite": "miniworld", "allow_code": True}) == []
    grid = R.plan([], ["ablations"], tmp_path, grids=["miniworld-synvit"], params={"allow_code": True})
    assert "allow_code" not in grid[0].parameters                      # grids never run code


# --- faults: a failed job never replaces a good report; a failed forced rerun is not counted done -----------------

def _fake_papermill(monkeypatch, mode):
    "papermill.execute_notebook replaced: 'full' writes half a notebook then fails (disk full), 'truncated' returns as if fine."
    import papermill
    def fake(template, out, parameters=None, **kw):
        text = Path(template).read_text()
        Path(out).write_text(text[: len(text) // 2])
        if mode == "full": raise OSError(28, "No space left on device")
        Path(parameters["sidecar"]).write_text(json.dumps({"records": [], "parameters": parameters}))
    monkeypatch.setattr(papermill, "execute_notebook", fake)


@pytest.mark.parametrize("mode", ["full", "truncated"])
def test_disk_full_leaves_no_invalid_report(tmp_path, monkeypatch, mode):
    job = R.plan(["miniworld/resnet-real"], ["calibration"], tmp_path, params={"suite": "miniworld"})[0]
    _fake_papermill(monkeypatch, mode)
    res = R.execute_job(job)
    assert res["status"] == "failed" and res["report"].endswith("miniworld__resnet-real.failed.ipynb"), res
    assert not Path(job.report).exists() and not Path(job.sidecar).exists()
    assert Path(res["report"]).exists() and R.check_notebook(res["report"]) is not None
    assert not list(Path(job.report).parent.glob(".*")) and not list(Path(job.report).parent.glob("*.partial"))
    # with a good report in place, a failing job leaves it untouched
    Path(job.report).write_text("GOOD"); Path(job.sidecar).write_text("{}")
    R.execute_job(job)
    assert Path(job.report).read_text() == "GOOD" and Path(job.sidecar).read_text() == "{}"


def test_failed_forced_rerun_keeps_the_report_and_is_not_counted_done(tmp_path, monkeypatch, capsys):
    args = [*MW, "--run", "f", "--runs-dir", str(tmp_path), "--limit", "8", "--n-boot", "0", "--quiet"]
    assert R.cli_run(args) == 0
    rep = tmp_path / "f" / "reports" / "calibration"
    report, sidecar = rep / "miniworld__resnet-real.ipynb", rep / "miniworld__resnet-real.json"
    good = report.read_bytes(); old = sidecar.read_bytes()
    umask = os.umask(0); os.umask(umask)
    for f in (sidecar, report, tmp_path / "f" / "summary.json"):            # the user's umask, not mkstemp's 0600
        assert f.stat().st_mode & 0o777 == 0o666 & ~umask, (f, oct(f.stat().st_mode))
    _fake_papermill(monkeypatch, "full")
    assert R.cli_run([*args, "--force"]) == 1
    assert report.read_bytes() == good                                     # the good report stays
    assert not sidecar.exists() and (rep / "miniworld__resnet-real.json.old").read_bytes() == old
    assert (rep / "miniworld__resnet-real.failed.ipynb").exists()
    summary = json.loads((tmp_path / "f" / "summary.json").read_text())
    assert summary["failed"][0]["report"].endswith(".failed.ipynb")
    monkeypatch.undo()
    capsys.readouterr()
    assert R.cli_run([a for a in args if a != "--quiet"]) == 0               # a plain run redoes the job
    assert "0 already done, 1 to run" in capsys.readouterr().out
    assert sidecar.exists() and not (rep / "miniworld__resnet-real.failed.ipynb").exists()


# --- synbench report on bad sidecars ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,want", [('{"section": "calibration", "records": [{"run"', "is not valid JSON"),
                                       ("[]", "must be a JSON object with a list 'records'"),
                                       ('{"records": [1, 2]}', "record 0 is not a result record"),
                                       ('{"records": [{"metric": "ECE", "value": 0.1}]}', "missing run")])
def test_report_names_a_bad_sidecar(tmp_path, capsys, text, want):
    f = tmp_path / "run" / "reports" / "calibration" / "m.json"; f.parent.mkdir(parents=True); f.write_text(text)
    assert cli_report([str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert want in err and str(f) in err and "Traceback" not in err, err


# --- --skip-corrupt: a CLI route, and what was skipped is counted in the result --------------------------------

def test_skip_corrupt_route_and_record(tmp_path, monkeypatch):
    from synbench.testing import make_fixture_tree, break_image
    from synbench import sections as S
    seen = []
    monkeypatch.setattr(R, "execute_job", lambda job, **kw: seen.append(job) or job.row(status="done", error=None, seconds=0))
    assert R.cli_run([*MW, "--run", "s", "--runs-dir", str(tmp_path / "runs"), "--skip-corrupt", "--quiet"]) == 0
    assert seen[0].parameters["skip_corrupt"] is True
    make_fixture_tree(tmp_path / "data", names=["imagenet-val"])
    bad = break_image(sorted((tmp_path / "data").rglob("*.JPEG"))[0])
    ev = S.Evaluation("miniworld/resnet-real", "imagenet", tmp_path / "data", n_boot=0, skip_corrupt=True)
    ds = ev.dataset("imagenet-val")
    assert ev.skipped == {"imagenet-val": {"n": 1, "ids": [f"imagenet-val/{bad.parent.name}/{bad.name}"]}}
    S.write_sidecar(tmp_path / "sc.json", [], "calibration", skipped=ev.skipped)
    doc = json.loads((tmp_path / "sc.json").read_text())
    assert doc["skipped"]["n"] == 1 and doc["skipped"]["datasets"]["imagenet-val"]["ids"] == ev.skipped["imagenet-val"]["ids"]
    assert str(bad) not in ds.samples["path"].tolist()
