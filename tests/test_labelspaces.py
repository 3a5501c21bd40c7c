"""Cross-checks of synbench.data.labelspaces against the libraries and reference repositories they follow."""
import numpy as np
import pytest
import torch

from synbench.data.labelspaces import (LABEL_SPACES, get_labelspace, identity, imagenet_class_names,
                                       imagenet_wnids)


def _logits(n=64, seed=0, scale=3.0):
    return np.random.default_rng(seed).normal(scale=scale, size=(n, 1000))


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_imagenet_names_and_wnids_match_the_libraries():
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES
    from timm.data import ImageNetInfo
    assert imagenet_class_names() == tuple(IMAGENET_CLASSNAMES)
    assert imagenet_wnids() == tuple(ImageNetInfo().label_names())
    sp = get_labelspace("imagenet")
    assert sp.class_names == tuple(IMAGENET_CLASSNAMES) and sp.wnids == imagenet_wnids()
    assert sp.label_of_folder("n01440764") == 0


@pytest.mark.parametrize("name,first_index,first_wnid", [("imagenet-r", 1, "n01443537"), ("imagenet-a", 6, "n01498041")])
def test_r_a_lists_follow_timm(name, first_index, first_wnid):
    import pkgutil
    sp = get_labelspace(name)
    stem = name.replace("-", "_")
    idx = [int(i) for i in pkgutil.get_data("timm.data", f"_info/{stem}_indices.txt").decode().split()]
    wn = pkgutil.get_data("timm.data", f"_info/{stem}_synsets.txt").decode().split()
    assert list(sp.indices) == idx and list(sp.wnids) == wn
    assert sp.indices[0] == first_index and sp.wnids[0] == first_wnid
    assert sp.wnid_to_label[wn[-1]] == 199
    z = _logits(8)
    # slicing happens before the softmax: the 200 probabilities sum to 1 and differ from sliced 1000-way ones
    p = sp.probs(z)
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert not np.allclose(p, _softmax(z)[:, idx])
    np.testing.assert_array_equal(sp.predict(z), np.argmax(z[:, idx], 1))


# model-vs-human, modelvshuman/helper/human_categories.py (HumanCategories.<category>_indices), copied by hand
MVH_INDICES = {"airplane": [404], "bear": [294, 295, 296, 297], "bicycle": [444, 671],
               "boat": [472, 554, 625, 814, 914], "bottle": [440, 720, 737, 898, 899, 901, 907],
               "car": [436, 511, 817], "cat": [281, 282, 283, 284, 285, 286], "chair": [423, 559, 765, 857],
               "clock": [409, 530, 892], "elephant": [385, 386], "keyboard": [508, 878], "knife": [499],
               "oven": [766], "truck": [555, 569, 656, 675, 717, 734, 864, 867]}


def test_cue_conflict_indices_match_model_vs_human():
    cc = get_labelspace("cue-conflict")
    assert cc.class_names == tuple(sorted(["knife", "keyboard", "elephant", "bicycle", "airplane", "clock", "oven",
                                           "chair", "bear", "boat", "cat", "bottle", "truck", "car", "bird", "dog"]))
    for c, ix in MVH_INDICES.items():
        assert list(cc.category_indices[c]) == ix, c
    assert len(cc.category_indices["dog"]) == 109 and len(cc.category_indices["bird"]) == 49


def _mvh_16class(probabilities, category_indices):
    """Re-implementation of model-vs-human's ImageNetProbabilitiesTo16ClassesMapping.__call__
    (np.take over each category's indices, np.mean, then categories sorted by decreasing value)."""
    categories = sorted(category_indices)
    agg = [np.mean(np.take(probabilities, category_indices[c], axis=-1), axis=-1) for c in categories]
    agg = np.transpose(agg)
    order = np.flip(np.argsort(agg, axis=-1), axis=-1)
    return agg, np.take(categories, order, axis=-1)


def test_cue_conflict_matches_model_vs_human_formula():
    cc = get_labelspace("cue-conflict")
    z = _logits(200, seed=1)
    probs = _softmax(z)
    agg, ranked = _mvh_16class(probs, {c: list(v) for c, v in cc.category_indices.items()})
    np.testing.assert_allclose(cc.probs(z), agg, rtol=1e-10)
    np.testing.assert_allclose(cc.probs(probs, kind="probs"), agg, rtol=1e-10)
    decisions = np.array(cc.class_names)[cc.predict(z)]
    np.testing.assert_array_equal(decisions, ranked[:, 0])
    # torch input, float32: same decisions
    np.testing.assert_array_equal(cc.predict(torch.tensor(z, dtype=torch.float32)).numpy(), cc.predict(z))


def test_in9_matches_backgrounds_challenge_eval_rule():
    import json
    from synbench.core import resource_path
    map_to_in9 = json.loads(resource_path("in_to_in9.json").read_text())
    sp = get_labelspace("in9")
    z = _logits(300, seed=2)
    labels = np.random.default_rng(3).integers(0, 9, size=300)
    # backgrounds_challenge tools/model_utils.py::eval_model: top-1 over 1000, then map_to_in9[str(x)]
    pred = np.array([map_to_in9[str(x)] for x in z.argmax(1)])
    np.testing.assert_array_equal(sp.predict(z), pred)
    assert sp.correct(z, labels).sum() == (pred == labels).sum()
    assert (sp.predict(z) == -1).any()  # most ImageNet classes are outside IN-9
    assert sp.wnids[0] == "n02084071" and sp.label_of_folder("08_fish") == 8


def test_focus_matches_check_label():
    import json
    from synbench.core import resource_path
    d = json.loads(resource_path("focus_context_bias.json").read_text())
    label_to_correct_idxes = {i: set(d["correct_imagenet_indices"][c]) for i, c in enumerate(d["categories"])}
    sp = get_labelspace("focus")
    rng = np.random.default_rng(4)
    z = _logits(300, seed=5)
    # make most rows pick one of the FOCUS indices so both outcomes occur
    all_idx = sorted(set().union(*label_to_correct_idxes.values()))
    z[np.arange(250), rng.choice(all_idx, 250)] += 20
    labels = rng.integers(0, 10, size=300)
    top5 = np.argsort(-z, 1)[:, :5]
    ref = np.array([top5[i, 0] in label_to_correct_idxes[labels[i]] for i in range(300)])  # check_label, use_strict=False
    got = sp.correct(z, labels)
    np.testing.assert_array_equal(got, ref)
    assert 0 < got.sum() < 300
    np.testing.assert_array_equal(sp.predict(z) == labels, ref)


@pytest.mark.parametrize("name", LABEL_SPACES)
def test_every_space_checks_shapes_and_keeps_kinds(name):
    sp = get_labelspace(name)
    z = _logits(5, seed=6)
    pred = sp.predict(z)
    assert isinstance(pred, np.ndarray) and pred.shape == (5,)
    tpred = sp.predict(torch.from_numpy(z))
    assert isinstance(tpred, torch.Tensor) and torch.equal(tpred, torch.from_numpy(pred))
    assert sp.predict(z[:0]).shape == (0,)
    with pytest.raises(ValueError, match="expected source_classes=1000"):
        sp.predict(z[:, :999])
    with pytest.raises(ValueError, match="must be floating point"):
        sp.predict(np.zeros((2, 1000), dtype=int))
    with pytest.raises(ValueError, match=r"labels must be in \[0, "):
        sp.correct(z, [0, 1, 2, 3, sp.n_classes])
    with pytest.raises(ValueError, match="kind must be"):
        sp.predict(z, kind="softmax")
    if sp.has_logits:
        assert sp.logits(z).shape == (5, sp.n_classes)
    else:
        with pytest.raises(ValueError, match="no logits"):
            sp.logits(z)
    assert sp is get_labelspace(name)  # cached


def test_identity_space_for_miniworld():
    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    sp = identity(10, names, name="miniworld")
    z = torch.randn(7, 10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(sp.logits(z), z)
    torch.testing.assert_close(sp.probs(z), torch.softmax(z, 1))
    assert sp.label_of_folder("Ankle Boot") == 9 and sp.wnids is None
    with pytest.raises(ValueError, match="class_names has 2 entries"):
        identity(3, ["a", "b"])
    with pytest.raises(ValueError, match="expected source_classes=10"):
        sp.predict(torch.zeros(2, 1000))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensors_stay_on_device():
    for name in LABEL_SPACES:
        sp = get_labelspace(name)
        z = torch.randn(4, 1000, device="cuda")
        assert sp.predict(z).device.type == "cuda"
        assert sp.correct(z, torch.zeros(4, dtype=torch.long, device="cuda")).device.type == "cuda"
