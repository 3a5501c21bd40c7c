"""Issue 13's protocol fixes, each checked against an independent reference: crop-only loading of the 224-px
sets, missing corruption cells, Table 3's running averages, and the other like-for-like options."""
import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image

from synbench import sections as S
from synbench import testing
from synbench.data.datasets import get_dataset_spec

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def lite0():
    from synbench.models import load_model
    try: return load_model("efficientnet_lite0", device="cpu")
    except (ImportError, ValueError) as e: pytest.skip(f"efficientnet_lite0 not available: {e}")


def test_224px_sets_are_only_centre_cropped(lite0, dataset_tree, tmp_path):
    "Item 7: ImageNet-C / 3DCC / cue-conflict files get Hendrycks' CenterCrop(224) only; 'resize' is the paper code's."
    for name in ("imagenet-c", "imagenet-3dcc", "cue-conflict"): assert get_dataset_spec(name).native_size == 224
    assert get_dataset_spec("imagenet-val").native_size is None
    ev = S.Evaluation(lite0, "imagenet", dataset_tree, cache_dir=tmp_path, n_boot=0)
    old = S.Evaluation(lite0, "imagenet", dataset_tree, cache_dir=tmp_path, n_boot=0, native_transform="resize")
    for name in ("imagenet-c", "cue-conflict"):
        ds = ev.dataset(name); img = Image.open(ds.samples.path[0]).convert("RGB")
        ref = T.Compose([T.CenterCrop(224), T.ToTensor()])(img.resize((256, 256)))   # a 256-px file: exact crop
        assert torch.equal(lite0.crop_transform(img.resize((256, 256))), ref)
        assert max(img.size) < 224 and torch.equal(ds[0][0], T.ToTensor()(img))   # fixture files < 224 px: as stored
        assert torch.equal(old.dataset(name)[0][0], lite0.load_transform(img))    # the paper code's resize + crop
        assert old.dataset(name)[0][0].shape[-2:] == (224, 224)
    assert torch.equal(ev.dataset("imagenet-val")[0][0], old.dataset("imagenet-val")[0][0])  # clean set unchanged
    a, b = ev.predict("cue-conflict"), old.predict("cue-conflict")     # cached apart, different inputs
    assert not torch.allclose(torch.as_tensor(a.logits), torch.as_tensor(b.logits))
    with pytest.raises(ValueError, match="native_transform must be one of"):
        S.Evaluation(lite0, "imagenet", dataset_tree, native_transform="zoom")


def test_missing_cells_are_an_error_and_only_requested_cells_run(lite0, dataset_tree, tmp_path):
    "Item 6: a requested (corruption, severity) not on disk is named; allow_partial records it; no other cell is predicted."
    from synbench.predict import forward_count, reset_forward_count
    ev = S.Evaluation(lite0, "imagenet", dataset_tree, cache_dir=tmp_path, n_boot=0, batch_size=64)
    with pytest.raises(ValueError, match=r"5 of the 9 .* not on disk: shot_noise/3, motion_blur/1, motion_blur/2, motion_blur/3, snow/3; .*allow_partial=True"):
        S.corruptions(ev, corruptions_2d=("shot_noise", "motion_blur", "snow"), corruptions_3d=(), severities=(1, 2, 3))
    S.calibration(ev, roles=("id",)); reset_forward_count()        # the clean set is cached: count the cells only
    d = S.records_to_frame(S.corruptions(ev, corruptions_2d=("snow", "motion_blur"), corruptions_3d=(), severities=(2, 3),
                                         allow_partial=True))
    n_cell = len(ev.dataset("imagenet-c", {"corruption": ["snow"], "severity": [2]}))
    assert forward_count()["images"] == n_cell                     # snow-2 alone: not shot_noise, not severity 1
    miss = d.query("metric == 'n_cells_missing'")
    assert miss.value.item() == 3 and miss.variant.item() == "missing: snow-3 motion_blur-2 motion_blur-3"
    assert set(d.query("metric == 'Acc' and dataset == '2DCC'").variant) == {"snow-2", "snow"}
    ok = lite0.label_space.correct(ev.predict("imagenet-c", subset={"corruption": ["snow"], "severity": [2]}).logits,
                                   ev.dataset("imagenet-c", {"corruption": ["snow"], "severity": [2]}).labels)
    assert d.query("variant == 'snow-2'").value.item() == pytest.approx(np.asarray(ok).mean())


def test_table3_running_averages(tmp_path):
    "Item 1: the 2D+3D Avg_R_cc_paper_code and per-corruption running-average accuracies, by hand from the cells."
    kw = dict(cache_dir=tmp_path, limit=24, n_boot=0)
    args = dict(corruptions_2d=("snow", "gaussian_noise"), corruptions_3d=("fog_3d", "near_focus"), severities=(1, 3, 5))
    d = S.records_to_frame(S.corruptions("miniworld/resnet-syn", testing.suite(), r_cc_paper_code=True, **args, **kw))
    clean = d.query("metric == 'Acc_clean'").value.item()
    stored = {}
    for lab in ("2DCC", "3DCC"):   # the authors' AverageMeter: one running mean per script, over its cells in order
        cells = d.query("metric == 'Acc' and dataset == @lab and variant.str.contains('-')")
        run = np.cumsum(cells.value.to_numpy()) / np.arange(1, len(cells) + 1)   # equal cell sizes
        stored[lab] = run
        for c in cells.variant.str.rsplit("-", n=1).str[0].unique():
            want = run[cells.variant.str.startswith(c + "-").to_numpy()].mean()
            assert d.query("metric == 'Acc_paper_code' and variant == @c").value.item() == pytest.approx(want, abs=1e-12)
    both = np.concatenate([stored["2DCC"], stored["3DCC"]])
    q = lambda m: d.query("dataset == '2DCC+3DCC' and metric == @m").value.item()
    assert q("Avg_Acc_cc_paper_code") == pytest.approx(both.mean(), abs=1e-12)
    assert q("Avg_R_cc_paper_code") == pytest.approx(both.mean() / clean, abs=1e-12)
    plain = S.records_to_frame(S.corruptions("miniworld/resnet-syn", testing.suite(), **args, **kw))
    assert not plain.metric.str.endswith("_paper_code").any()


def test_shape_bias_per_class_grouping_is_labelled(tmp_path):
    "Item 2: per-class shape bias by presented shape (model-vs-human) or predicted category (the paper's code), labelled apart."
    from synbench.metrics.bias import shape_bias
    kw = dict(cache_dir=tmp_path, limit=32, n_boot=0, parts=("cue_conflict",))
    a, data = S.biases("miniworld/resnet-syn", testing.suite(), return_data=True, **kw)
    b = S.biases("miniworld/resnet-syn", testing.suite(), shape_bias_per_class="predicted", **kw)
    a, b = S.records_to_frame(a), S.records_to_frame(b)
    assert a.query("variant == ''").value.item() == b.query("variant == ''").value.item()
    assert a.variant.str.startswith(("category=", "")).all() and not a.variant.str.startswith("predicted=").any()
    per = b[b.variant.str.startswith("predicted=")]; assert len(per) >= 1
    ev = S.Evaluation("miniworld/resnet-syn", testing.suite(), cache_dir=tmp_path, limit=32, n_boot=0)
    ps = ev.predict(testing.suite()["cue_conflict"]); ls = ev.labelspace(testing.suite()["cue_conflict"])
    pred = np.asarray(ls.class_names)[np.asarray(ls.predict(ps.logits))]
    sh, tx = ps.samples["shape"].to_numpy(), ps.samples["texture"].to_numpy()
    assert set(per.variant.str.split("=").str[1]) == set(sh[sh != tx])   # one row per shape category shown (4 of 10 here)
    for r in per.itertuples():   # by hand: among conflict images the model called c, shape / (shape + texture) decisions
        c = r.variant.split("=")[1]; m = (pred == c) & (sh != tx)
        ns, nt = ((pred == sh) & m).sum(), ((pred == tx) & m).sum()
        assert (np.isnan(r.value) and ns + nt == 0) or r.value == pytest.approx(ns / (ns + nt))


def test_ablations_in_the_papers_tables_keys_and_units():
    "Item 3: Tables 6 and 7 apart, keys FPR@95_SUN and (variant, n_train_images), BG-Gap in the paper's x10 unit."
    import pandas as pd
    from synbench.report import paper_view, paper_table, beside_paper, paper_reference
    rows = [("r", "vit-cls-16M", "ablations", "ablation", "prompt=class name; n=16M", "BG_Gap", 0.0541),
            ("r", "vit-cls-16M", "ablations", "ablation", "prompt=class name; n=16M", "FPR@95_sun", 0.8),
            ("r", "vit-cls-16M", "ablations", "ablation", "prompt=class name; n=16M", "Acc", 0.51),
            ("r", "clip-syn-64M", "ablations", "ablation", "data=synthetic; n=64M", "Acc", 0.3)]
    df = pd.DataFrame([r + (None, None, None, None) for r in rows], columns=S.RECORD_COLUMNS[:11])   # ci_low, ci_high, n, flag
    pv = paper_view(df).set_index(["table", "metric"])
    assert pv.loc[(6, "BG_Gap"), "value"] == pytest.approx(0.541)      # 10 x the fraction, as Tables 6-7 print it
    assert pv.loc[(6, "BG_Gap"), "variant"] == "prompt=class name" and pv.loc[(6, "BG_Gap"), "n_train_images"] == "16M"
    assert (6, "FPR@95_SUN") in pv.index and pv.loc[(7, "Acc"), "variant"] == "data=synthetic"
    ref = paper_reference()   # the paper's own numbers: Table 6's BG-Gap is Table 5's percentage / 10
    t6 = ref.query("table == 6 and variant == 'prompt=class name' and n_train_images == '16M' and metric == 'BG_Gap'").value.item()
    t5 = ref.query("table == 5 and model == 'SynViT-B' and metric == 'BG_Gap'").value.item()
    assert t6 == pytest.approx(t5 / 10, abs=0.005)
    pv = paper_view(df)
    assert list(paper_table(pv, 6).index.names) == ["model", "variant", "n_train_images"] and len(paper_table(pv, 7)) == 1
    bp = beside_paper(pv, pd.DataFrame(columns=["model", "family", "data"]))
    w6 = bp[6].reset_index()
    assert {"Acc", "BG_Gap", "FPR@95_SUN"} <= set(bp[6].columns) and "FPR@95_sun" not in bp[6].columns
    assert len(w6.query("source == 'paper'")) == 12 and len(w6.query("source == 'this run'")) == 1
    assert len(bp[7].reset_index().query("source == 'paper'")) == 12


def test_bookkeeping_settings_in_records_and_no_silent_average(tmp_path):
    "Item 9: models.csv gets the weights hash; PGD step and FPR convention stay in the records; a clash is refused."
    import json
    import pandas as pd
    from synbench.report import collect, paper_view
    side = tmp_path / "reports" / "calibration" / "m.json"; side.parent.mkdir(parents=True)
    prov = {"model_provenance": {"weights_sha256": "ab" * 32, "spec": {"name": "M", "family": "supervised", "data": "real"}}}
    side.write_text(json.dumps({"records": [], "parameters": {}, "provenance": prov}))
    assert collect(tmp_path)[1].weights_sha256.tolist() == ["ab" * 32]
    kw = dict(cache_dir=tmp_path, limit=16, n_boot=0)
    adv = S.records_to_frame(S.adversarial("miniworld/resnet-real", testing.suite(), steps=2, alpha="paper", **kw))
    assert "PGD-2 eps=1/255 step=2/225" in set(adv.variant)
    o = S.records_to_frame(S.ood("miniworld/resnet-real", testing.suite(), fpr_convention="openood", **kw))
    assert set(o.query("metric == 'FPR@95'").variant) == {"msp; fpr=openood"}
    rows = [("r", "M", "adversarial", "ID", f"PGD-20 eps=1/255 step={s}", "R_adv", 0.1, None, None, 5, None) for s in ("2/225", "0.0004902")]
    with pytest.raises(ValueError, match=r"M: Table 2 ImageNet R_adv PGD-20 eps=1/255 has 2 results .*'PGD-20 eps=1/255 step=2/225'"):
        paper_view(pd.DataFrame(rows, columns=S.RECORD_COLUMNS[:11]))
    assert paper_view(pd.DataFrame(rows[:1], columns=S.RECORD_COLUMNS[:11])).variant.item() == "PGD-20 eps=1/255"


def test_preset_paper_code_plan_shows_the_authors_choices(tmp_path, capsys):
    "Build: `synbench run --preset paper-code --plan --models DeiT CLIP` prints every resolved parameter and runs nothing."
    from synbench.runner import cli_run
    data = tmp_path / "data"; (data / "imagenet" / "val").mkdir(parents=True)   # --plan runs the pre-flight check: a data root
    runs = tmp_path / "runs"; runs.mkdir()
    rc = cli_run(["--preset", "paper-code", "--plan", "--models", "DeiT", "CLIP", "--runs-dir", str(runs), "--data-root", str(data),
                  "--param", "ood.score=msp"])
    out = capsys.readouterr().out
    assert rc == 0 and not any(runs.iterdir())                           # nothing run, nothing written
    for job in ("ood/DeiT-III-L", "ood/CLIP-OpenAI", "adversarial/DeiT-III-L", "corruptions/CLIP-OpenAI", "biases/DeiT-III-L"):
        assert job in out, job
    def params(job):
        import itertools
        lines = itertools.takewhile(lambda l: l.startswith("    "), out.split(job + "  ->")[1].split("\n")[1:])
        return dict(l.strip().split(" = ", 1) for l in lines)
    assert params("ood/DeiT-III-L")["score"] == "'msp'" and params("ood/DeiT-III-L")["fpr_convention"] == "'paper_code'"  # --param wins
    assert params("adversarial/DeiT-III-L")["alpha"] == "'paper'" and params("biases/CLIP-OpenAI")["in9_normalization"] == "'none'"
    assert params("corruptions/CLIP-OpenAI")["normalization"] == "'imagenet'" and params("corruptions/DeiT-III-L")["normalization"] == '"model"'
    assert params("corruptions/DeiT-III-L")["r_cc_paper_code"] == "True" and params("biases/DeiT-III-L")["shape_bias_per_class"] == "'predicted'"
    assert params("calibration/CLIP-OpenAI")["n_boot"] == "1000"
    cli_run(["--plan", "--models", "DeiT", "--sections", "ood", "--runs-dir", str(runs), "--data-root", str(data)])
    text = capsys.readouterr().out
    assert "ood/DeiT  ->" in text and "preset = 'paper-text'" in text and 'score = "msp"' in text


def test_plan_needs_no_data(tmp_path, capsys, monkeypatch):
    "`--plan` reads no image: exactly the issue's command, without a data root, prints the plan (a warning names the data root)."
    from synbench.runner import cli_run
    monkeypatch.delenv("SYNBENCH_DATA", raising=False)
    runs = tmp_path / "runs"; runs.mkdir()
    rc = cli_run(["--preset", "paper-code", "--plan", "--models", "DeiT", "CLIP", "--runs-dir", str(runs)])
    cap = capsys.readouterr()
    assert rc == 0 and not any(runs.iterdir()) and "ood/DeiT-III-L  ->" in cap.out and "warning: --data-root" in cap.err
    assert cli_run(["--models", "DeiT", "--sections", "ood", "--runs-dir", str(runs)]) == 2   # a real run still needs the data
    assert not any(runs.iterdir())
