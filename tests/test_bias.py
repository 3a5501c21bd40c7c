"""Cross-checks of synbench.metrics.bias against re-implementations of the reference code it follows."""
import itertools, json, math

import numpy as np
import pandas as pd
import pytest

from synbench.core import resource_path
from synbench.metrics.bias import (bg_gap, context_bias, cue_conflict_categories, n_uncommon,
                                   parse_cue_conflict_name, shape_bias)


def _mvh_get_texture_category(imagename):
    # model-vs-human, modelvshuman/plotting/analyses.py, ShapeBias.get_texture_category
    a = imagename.split("_")[-1]
    b = a.split(".")[0]
    c = b.split("-")[-1]
    return "".join([i for i in c if not i.isdigit()])


def _mvh_shape_bias(df):
    # model-vs-human, ShapeBias.analysis (fractions over len(df), then their ratio)
    df = df.copy()
    df["correct_texture"] = df["imagename"].apply(_mvh_get_texture_category)
    df["correct_shape"] = df["category"]
    df2 = df.loc[df.correct_shape != df.correct_texture]
    fs = len(df2.loc[df2.object_response == df2.correct_shape]) / len(df)
    ft = len(df2.loc[df2.object_response == df2.correct_texture]) / len(df)
    return fs / (fs + ft)


def _stimuli(n=400, seed=0):
    rng = np.random.default_rng(seed)
    cats = cue_conflict_categories()
    rows = []
    for i in range(n):
        s, t = rng.choice(cats), rng.choice(cats)
        if i % 20 == 0: t = s  # some images without a cue conflict
        name = f"{i:04d}_s5n_s01_0_{s}_00_{s}{rng.integers(1, 11)}-{t}{rng.integers(1, 11)}.png"
        u = rng.random()
        resp = s if u < 0.3 else t if u < 0.8 else rng.choice(cats)
        rows.append(dict(imagename=name, category=s, object_response=resp))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shape_bias_matches_model_vs_human(seed):
    df = _stimuli(seed=seed)
    parsed = [parse_cue_conflict_name(n) for n in df.imagename]
    assert [p[0] for p in parsed] == list(df.category)
    assert [p[1] for p in parsed] == [_mvh_get_texture_category(n) for n in df.imagename]
    r = shape_bias(df.object_response, [p[0] for p in parsed], [p[1] for p in parsed])
    assert r.shape_bias == pytest.approx(_mvh_shape_bias(df), rel=1e-12)
    assert r.n_excluded == sum(p[0] == p[1] for p in parsed)
    # per class: model-vs-human's matrix plot selects df.category == cl, then ShapeBias.analysis
    for cl, v in r.per_class.items():
        sub = df.loc[df.category == cl]
        ref = _mvh_shape_bias(sub) if len(sub.loc[sub.imagename.apply(_mvh_get_texture_category) != cl]) else math.nan
        assert (math.isnan(v) and math.isnan(ref)) or v == pytest.approx(ref, rel=1e-12), cl


def test_shape_bias_is_symmetric_to_texture_and_accepts_indices():
    cats = list(cue_conflict_categories())
    shape, texture = [0, 1, 2, 3], [1, 2, 3, 0]
    r_idx = shape_bias(np.array([0, 2, 3, 5]), shape, texture)
    r_names = shape_bias([0, 2, 3, 5], [cats[i] for i in shape], [cats[i] for i in texture], class_names=cats)
    assert r_idx.shape_bias == r_names.shape_bias == pytest.approx(1 / 3)
    # swapping shape and texture turns shape bias b into 1 - b
    assert shape_bias([0, 2, 3, 5], texture, shape).shape_bias == pytest.approx(2 / 3)


def test_parse_rejects_bad_names():
    for bad in ["airplane1_bicycle2.png", "airplane1-bicycle.png", "1-2.png", "", "airplane1-bicycle2-cat3.png"]:
        with pytest.raises(ValueError, match="does not match"):
            parse_cue_conflict_name(bad)
    with pytest.raises(ValueError, match="unknown categories"):
        parse_cue_conflict_name("airplane1-bicycle2.png", categories=["dog"])


# FOCUS src/experiments/evaluate_model.py: the uncommon table by vocabulary index, copied by hand
FOCUS_UNCOMMON = {
    0: {"time": {1}, "weather": {1, 3, 4}, "locations": {2, 3, 6, 7}},
    1: {"time": {1}, "weather": {1, 3, 4}, "locations": {2, 3, 6, 7}},
    2: {"time": {1}, "weather": {1, 3, 4}, "locations": {0, 2, 3, 4, 6, 7}},
    3: {"time": {1}, "weather": {1, 3, 4}, "locations": {0, 1, 2, 3, 4, 5, 6}},
    4: {"time": {1}, "weather": {1, 3, 4}, "locations": {0, 3, 4, 6, 7}},
    5: {"time": {1}, "weather": {1, 3, 4}, "locations": {0, 3, 6}},
    6: {"time": {1}, "weather": {1, 3, 4}, "locations": {2, 3, 5, 6, 7}},
    7: {"time": {1}, "weather": {1, 3, 4}, "locations": {2, 3, 4, 5, 6, 7}},
    8: {"time": {}, "weather": {1, 3, 4}, "locations": {2, 5, 6}},
    9: {"time": {1}, "weather": {1, 3, 4}, "locations": {2, 5, 6}},
}


def _focus_count_uncommon(category, time, weather, locations_multi_hot):
    # FOCUS count_uncommon_attributes: time + weather + (any location uncommon)
    u = FOCUS_UNCOMMON[category]
    return sum([time in u["time"], weather in u["weather"],
                not set(np.nonzero(locations_multi_hot)[0]).isdisjoint(u["locations"])])


def test_focus_table_matches_the_repository():
    d = json.loads(resource_path("focus_context_bias.json").read_text())
    for ci, c in enumerate(d["categories"]):
        for attr, vocab in (("time", d["times"]), ("weather", d["weathers"]), ("locations", d["locations"])):
            assert sorted(d["uncommon"][c][attr]) == sorted(vocab[i] for i in FOCUS_UNCOMMON[ci][attr]), (c, attr)


def test_n_uncommon_matches_focus_on_every_combination():
    d = json.loads(resource_path("focus_context_bias.json").read_text())
    rng = np.random.default_rng(0)
    seen = set()
    for ci, ti, wi in itertools.product(range(10), range(len(d["times"])), range(len(d["weathers"]))):
        for _ in range(3):
            hot = (rng.random(len(d["locations"])) < 0.25).astype(int)
            ref = _focus_count_uncommon(ci, ti, wi, hot)
            locs = [d["locations"][j] for j in np.nonzero(hot)[0]]
            got = n_uncommon(d["categories"][ci], d["times"][ti], d["weathers"][wi], locs)
            assert got == ref and got == n_uncommon(ci, ti, wi, list(np.nonzero(hot)[0]))
            seen.add(got)
    assert seen == {0, 1, 2, 3}


def test_context_bias_against_direct_computation():
    rng = np.random.default_rng(1)
    k = rng.integers(0, 4, size=1000)
    correct = rng.random(1000) < np.array([0.8, 0.7, 0.6, 0.4])[k]
    r = context_bias(correct, k)
    for j in (1, 2, 3):
        assert r[j] == pytest.approx(correct[k == j].mean() / correct[k == 0].mean())
    assert sum(r.n.values()) == 1000
    assert r.to_dict()["cb"][1] == r[1]
    assert all(math.isnan(v) for v in context_bias([True, True], [1, 2]).cb.values())  # P_0 empty


def test_bg_gap_bad_input():
    assert bg_gap(1, 0) == 1.0
    with pytest.raises(ValueError, match="acc_mixed_rand"):
        bg_gap(0.5, -0.1)
    with pytest.raises(ValueError, match="must be a number"):
        bg_gap("high", 0.1)
