"""`synbench run --channels-last --cudnn-benchmark` (issue 16): the flags travel as template parameters of those
names to `Evaluation` and on to `synbench.predict.predict_many`; off by default, when a job's parameters (and so
`job_done`, the sidecars and the prediction cache keys) stay as they were. No kernel runs: `execute_job`, the
`Evaluation` and `predict_many` are stand-ins."""
import types

import pytest

from synbench import runner as R, sections as S, testing as T

MW = ["--models", T.MODEL, "--sections", "calibration", "--suite", T.suite_json(8)]   # MiniWorld at test size


def jobs(tmp_path, monkeypatch, *flags):
    seen = []
    monkeypatch.setattr(R, "execute_job", lambda job, **kw: seen.append(job) or job.row(status="done", error=None, seconds=0))
    assert R.cli_run([*MW, "--run", "f", "--runs-dir", str(tmp_path / "runs"), *flags, "--quiet"]) == 0
    return seen


def test_flags_reach_the_job_parameters(tmp_path, monkeypatch):
    (job,) = jobs(tmp_path, monkeypatch, "--channels-last", "--cudnn-benchmark")
    assert job.parameters["channels_last"] is True and job.parameters["cudnn_benchmark"] is True


def test_flags_off_leave_the_parameters_as_they_were(tmp_path, monkeypatch):
    (job,) = jobs(tmp_path, monkeypatch)
    assert "channels_last" not in job.parameters and "cudnn_benchmark" not in job.parameters


def test_plan_prints_them(tmp_path, capsys):
    assert R.cli_run(["--plan", *MW, "--channels-last", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "channels_last = True" in out and "cudnn_benchmark = False" in out, out


class _Stop(Exception): pass


@pytest.mark.parametrize("section", ["calibration", "ablations"])
def test_section_passes_them_to_evaluation(monkeypatch, section):
    got = {}
    def fake(*a, **kw): got.update(kw); raise _Stop
    monkeypatch.setattr(S, "Evaluation", fake)
    with pytest.raises(_Stop):
        S.SECTIONS[section].run({"channels_last": True, "cudnn_benchmark": True, "model": "miniworld-synvit" if section == "ablations" else T.MODEL})
    assert got["channels_last"] is True and got["cudnn_benchmark"] is True
    with pytest.raises(_Stop):
        S.SECTIONS[section].run({"model": "miniworld-synvit" if section == "ablations" else T.MODEL})
    assert got["channels_last"] is False and got["cudnn_benchmark"] is False


def test_evaluation_passes_them_to_predict_many(monkeypatch):
    got = {}
    monkeypatch.setattr(S, "predict_many", lambda *a, **kw: got.update(kw) or [])
    ev = types.SimpleNamespace(model=None, dataset=lambda name, subset=None: None, cache_dir=None, batch_size=8, device="cpu",
                               amp=False, progress=False, shard_size=256, channels_last=True, cudnn_benchmark=True)
    S.Evaluation.predict_many(ev, "x", [None])
    assert got["channels_last"] is True and got["cudnn_benchmark"] is True
