"""Issue 14: the redesign changes no number. `legacy_results` maps a results.csv written after it to the columns and
keys of one written before (the structured variant fields dropped; the ablations' `FPR@95` with its OOD set in `subset`
named `FPR@95_<set>` again, as it was). Set SYNBENCH_BASELINE_RESULTS and SYNBENCH_NEW_RESULTS to two results.csv
files (a run of `make reproduce` before and after) to compare them; the mapping itself is tested without them.
Issue 15 gives every record an interval and makes `n` the number of images that entered it, so those columns (`STAT_COLUMNS`)
may differ from a baseline written before it; every value, flag and key must not."""
import os
from pathlib import Path

import pandas as pd
import pytest

from synbench.sections import RECORD_COLUMNS, VARIANT_FIELDS

OLD_COLUMNS = [c for c in RECORD_COLUMNS if c not in VARIANT_FIELDS]
STAT_COLUMNS = ["ci_low", "ci_high", "n"]   # issue 15: an interval on every record, n in images
SORT = ["section", "model", "dataset", "variant", "metric"]


def legacy_results(df: pd.DataFrame) -> pd.DataFrame:
    "A results.csv frame of after the redesign in the columns and keys of before it."
    df = df.copy()
    fpr = (df.section == "ablations") & (df.metric == "FPR@95")
    df.loc[fpr, "metric"] = "FPR@95_" + df.loc[fpr, "subset"].astype(str)
    return df[OLD_COLUMNS].sort_values(SORT, kind="mergesort").reset_index(drop=True)


def test_legacy_results_maps_renamed_keys():
    new = pd.DataFrame([dict(run="r", model="m", section="ablations", dataset="ablation", variant="prompt=class; n=750",
                             metric="FPR@95", value=0.5, subset="ood-scenes", ablation="prompt=class", n_train_images="750"),
                        dict(run="r", model="m", section="adversarial", dataset="ID", variant="FGSM eps=1/255", metric="R_adv",
                             value=0.4, attack="fgsm", eps=1 / 255, steps=1)], columns=RECORD_COLUMNS)
    old = legacy_results(new)
    assert list(old.columns) == OLD_COLUMNS and set(old.metric) == {"FPR@95_ood-scenes", "R_adv"}


@pytest.mark.skipif(not (os.environ.get("SYNBENCH_BASELINE_RESULTS") and os.environ.get("SYNBENCH_NEW_RESULTS")),
                    reason="set SYNBENCH_BASELINE_RESULTS and SYNBENCH_NEW_RESULTS to compare two runs' results.csv")
def test_results_identical_to_the_baseline():
    old = pd.read_csv(os.environ["SYNBENCH_BASELINE_RESULTS"]).sort_values(SORT, kind="mergesort").reset_index(drop=True)
    new = legacy_results(pd.read_csv(os.environ["SYNBENCH_NEW_RESULTS"]))
    drop = ["run", *STAT_COLUMNS]   # runs are named apart; intervals and n are issue 15's
    pd.testing.assert_frame_equal(new.drop(columns=drop), old.drop(columns=drop), check_exact=True)
