"""predict(): kill -9 mid-run then resume equals an uninterrupted run; a corrupt shard is never read;
two processes on one cache entry wait for each other instead of interleaving."""
import os, signal, subprocess, sys, textwrap, time, warnings
from pathlib import Path

import numpy as np
import pytest

from synbench.predict import PredictionSet, cache_key, forward_count, predict, reset_forward_count
from synbench import testing as T

SLOW = textwrap.dedent("""
    import sys, time, torch
    torch.set_num_threads(1)
    from synbench.predict import predict
    from synbench import testing as T
    from synbench.miniworld import MiniWorldDataset
    class Slow(MiniWorldDataset):
        def __getitem__(self, i):
            time.sleep(float(sys.argv[2])); return super().__getitem__(i)
    d = T.dataset("id", n=24); d.__class__ = Slow          # the same set (name, ids, images), read slowly
    predict(T.model(), d, cache_dir=sys.argv[1], batch_size=4,
            shard_size=4, progress=False, lock_timeout=60)
    print("finished", flush=True)
""")


def _start(cache, delay):
    return subprocess.Popen([sys.executable, "-c", SLOW, str(cache), str(delay)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(pred, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred(): return True
        time.sleep(0.05)
    return False


def test_kill9_then_resume_equals_uninterrupted(tmp_path):
    m, d = T.model(), T.dataset("id", n=24)
    ref = predict(m, d, cache_dir=tmp_path / "ref", batch_size=4, shard_size=4, progress=False)
    cache = tmp_path / "c"
    p = _start(cache, 0.05)
    key, _ = cache_key(m, d, None, False, 4, 4)
    folder = cache / key
    assert _wait_for(lambda: len(list(folder.glob("shard_*.json"))) >= 2), p.communicate()
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    shards = sorted(folder.glob("shard_*.json"))
    assert 2 <= len(shards) < 6 and not (folder / "predictions.json").exists()
    # every file left behind is complete: no temporary file was renamed into place half-written
    for s in shards: PredictionSet.load(s.with_suffix(""))
    reset_forward_count()
    out = predict(m, d, cache_dir=cache, batch_size=4, shard_size=4, progress=False)
    assert out.metadata["resumed_shards"] == len(shards)
    assert forward_count()["images"] == 24 - 4 * len(shards)
    np.testing.assert_array_equal(out.logits, ref.logits)
    assert out.ids == ref.ids and (out.labels == ref.labels).all()


def test_truncated_shard_is_recomputed_not_read(tmp_path):
    m, d = T.model(), T.dataset("id", n=12)
    ref = predict(m, d, cache_dir=tmp_path / "ref", batch_size=4, shard_size=4, progress=False)
    key, _ = cache_key(m, d, None, False, 4, 4)
    f = tmp_path / "c" / key
    for s in range(3):
        a = 4 * s
        PredictionSet(ref.logits[a:a + 4] + 100, ref.labels[a:a + 4], ref.ids[a:a + 4], {"start": a, "shard": s},
                      ref.samples.iloc[a:a + 4].reset_index(drop=True)).save(f / f"shard_{s:05d}")
    # damage every shard in a different way: truncated tensors, altered JSON, wrong ids
    b = (f / "shard_00000.safetensors").read_bytes(); (f / "shard_00000.safetensors").write_bytes(b[: len(b) // 2])
    (f / "shard_00001.json").write_text("{not json")
    j = (f / "shard_00002.json").read_text().replace(ref.ids[8], "someone-else"); (f / "shard_00002.json").write_text(j)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = predict(m, d, cache_dir=tmp_path / "c", batch_size=4, shard_size=4, progress=False)
    np.testing.assert_array_equal(out.logits, ref.logits)   # the +100 shards were never used
    assert out.metadata["resumed_shards"] == 0 and len(w) >= 3


def test_two_processes_on_one_prediction_wait_not_interleave(tmp_path):
    cache = tmp_path / "c"
    a = _start(cache, 1.0)   # slow enough to outlast the second process starting (imports, model load)
    m, d = T.model(), T.dataset("id", n=24)
    key, _ = cache_key(m, d, None, False, 4, 4)
    assert _wait_for(lambda: (cache / key / ".lock").exists() and (cache / key / ".lock").read_text().startswith("pid"))
    b = _start(cache, 0.02)
    out_a, err_a = a.communicate(timeout=120); out_b, err_b = b.communicate(timeout=120)
    assert a.returncode == 0 and b.returncode == 0, (err_a, err_b)
    assert "waiting for prediction" in err_b          # the second one said it waited
    ps = PredictionSet.load(cache / key / "predictions")
    ref = predict(m, d, cache_dir=tmp_path / "ref", batch_size=4, shard_size=4, progress=False)
    np.testing.assert_array_equal(ps.logits, ref.logits)
    assert not list((cache / key).glob("shard_*"))
