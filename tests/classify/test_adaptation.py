"""Adapting the encoder: the adapter file (low-rank factors or differences), how `prepare` applies it,
the training methods on the real encoder, and `portal model finetune`'s promote-or-keep-aside path."""

import json
from dataclasses import replace

import numpy as np
import pytest

from portal.classify import versions
from portal.classify.adapter import (
    ADAPTER_FILE, apply_delta, compute_delta, model_weights, read_adapter, read_weights, save_adapter)
from portal.classify.adaptation import finetune
from portal.classify.examples import load_seed_examples
from portal.classify.finetune import DEFAULT_RECIPES, adapt_encoder
from portal.classify.infer import load_classifier
from portal.classify.prepare import MARKER_FILE, base_model_dir, prepare_model


def _weights(rng):
    return {
        "layer.q.weight": rng.normal(size=(96, 128)).astype(np.float32),
        "layer.ffn.weight": rng.normal(size=(96, 128)).astype(np.float32),
        "layer.norm.bias": rng.normal(size=(96,)).astype(np.float32),
        "vocabulary": rng.normal(size=(50, 8)).astype(np.float32),
    }


def test_a_low_rank_change_is_kept_as_factors_and_any_other_as_a_difference():
    rng = np.random.default_rng(0)
    base = _weights(rng)
    adapted = dict(base)
    adapted["layer.q.weight"] = base["layer.q.weight"] + 0.01 * rng.normal(size=(96, 4)) @ rng.normal(size=(4, 128))
    adapted["layer.ffn.weight"] = base["layer.ffn.weight"] + 0.01 * rng.normal(size=(96, 128))
    adapted["layer.norm.bias"] = base["layer.norm.bias"] + 0.001

    tensors = compute_delta(base, {k: v.astype(np.float32) for k, v in adapted.items()})

    assert set(tensors) == {"layer.q.weight.up", "layer.q.weight.down", "layer.ffn.weight.delta", "layer.norm.bias.delta"}
    assert tensors["layer.q.weight.up"].shape == (96, 4) and tensors["layer.q.weight.down"].shape == (4, 128)
    assert all(t.dtype == np.float16 for t in tensors.values())
    back = apply_delta(base, tensors)
    for name in base:
        assert np.abs(back[name] - adapted[name]).max() < 1e-4, name
    assert back["vocabulary"] is base["vocabulary"]  # untouched tensors are not copied


def test_an_adapter_for_another_encoder_is_refused():
    rng = np.random.default_rng(1)
    base = _weights(rng)
    with pytest.raises(ValueError, match="does not have"):
        apply_delta(base, {"other.weight.delta": np.zeros((2, 2), np.float16)})
    with pytest.raises(ValueError, match="shape"):
        apply_delta(base, {"layer.norm.bias.delta": np.zeros((95,), np.float16)})


def test_an_adapter_file_that_does_not_match_its_description_is_refused(tmp_path):
    save_adapter(tmp_path, {"layer.norm.bias.delta": np.ones((4,), np.float16)}, {"method": "full"})
    tensors, meta = read_adapter(tmp_path)
    assert meta["method"] == "full" and meta["parameters"] == 4 and tensors["layer.norm.bias.delta"].sum() == 4
    data = bytearray((tmp_path / ADAPTER_FILE).read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / ADAPTER_FILE).write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        read_adapter(tmp_path)


def test_prepare_applies_an_adapter_on_the_base_once_and_rebuilds_for_another(model_cache_dir, prepared_model_dir, tmp_path):
    base = read_weights(base_model_dir(model_cache_dir))
    name = "encoder.layer.11.output.LayerNorm.bias"
    first, second = tmp_path / "first", tmp_path / "second"
    save_adapter(first, {f"{name}.delta": np.full(base[name].shape, 0.5, np.float16)}, {"method": "full"})
    save_adapter(second, {f"{name}.delta": np.full(base[name].shape, -0.25, np.float16)}, {"method": "full"})
    target = tmp_path / "model" / "multilingual-e5-small"

    folder = prepare_model(model_cache_dir, adapter_dir=first, target=target)
    weights = read_weights(folder)
    assert np.allclose(weights[name], base[name] + 0.5)
    assert np.array_equal(weights["encoder.layer.0.attention.self.query.weight"],
                          base["encoder.layer.0.attention.self.query.weight"])
    assert json.loads((folder / MARKER_FILE).read_text())["adapter"] == read_adapter(first)[1]["sha256"]
    before = (folder / "model.safetensors").stat().st_mtime_ns
    assert prepare_model(model_cache_dir, adapter_dir=first, target=target) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == before  # prepared already: nothing rewritten

    prepare_model(model_cache_dir, adapter_dir=second, target=target)
    assert np.allclose(read_weights(target)[name], base[name] - 0.25)


@pytest.mark.sqlite_only  # no database involved: run once
@pytest.mark.parametrize("method", ["lora", "full", "setfit"])
def test_each_method_trains_the_real_encoder_and_leaves_the_vocabulary_alone(model_cache_dir, prepared_model_dir, method):
    base_dir = base_model_dir(model_cache_dir)
    examples = [e for e in load_seed_examples() if e.sentiment][:12]
    seen = []
    result = adapt_encoder(base_dir, examples, replace(DEFAULT_RECIPES[method], epochs=1, batch_size=4),
                          on_step=seen.append, threads=2)

    assert seen and seen[-1].step == seen[-1].steps == result.steps and seen[-1].eta == 0
    assert seen[0].eta > 0 and all(np.isfinite(p.loss) for p in seen)
    base = read_weights(base_dir)
    adapted = model_weights(result.model)
    tensors = compute_delta(base, {k: adapted[k] for k in base})
    changed = {key.rsplit(".", 1)[0] for key in tensors}
    assert "embeddings.word_embeddings.weight" not in changed
    assert any(".attention.self.query.weight" in n for n in changed)
    if method == "lora":  # only the adapted matrices move, and only by a low-rank change
        assert all(key.endswith((".up", ".down")) for key in tensors)
        assert not any("LayerNorm" in n or n.endswith(".bias") for n in changed)
    else:
        assert any("LayerNorm" in n for n in changed)


@pytest.mark.sqlite_only  # no database involved: run once
def test_finetune_promotes_a_model_that_is_not_worse_and_rollback_restores_the_encoder(model_cache_dir, prepared_model_dir,
                                                                                      tmp_path):
    data_dir = tmp_path
    # The converted base is shared with the test cache (a link, not a second conversion).
    (data_dir / "models").mkdir()
    (data_dir / "models" / base_model_dir(model_cache_dir).name).symlink_to(base_model_dir(model_cache_dir))
    steps = []

    kept = finetune(data_dir, method="lora", epochs=1, on_step=steps.append, promote_tolerance=1.0)

    assert steps and steps[-1].step == steps[-1].steps
    assert kept.promoted, kept.reason
    assert versions.current_version(data_dir) == kept.version
    assert versions.current_adapter_dir(data_dir) == versions.heads_root(data_dir) / kept.version
    assert kept.metrics["adaptation"]["method"] == "lora" and kept.metrics["encoder_adapter"]
    folder = prepare_model(data_dir)
    assert json.loads((folder / MARKER_FILE).read_text())["adapter"] == kept.metrics["encoder_adapter"]
    labels = load_classifier(data_dir).classify(["Accueil très aimable, merci beaucoup"])
    assert labels[0]["model_version"].endswith(kept.version)

    refused = finetune(data_dir, method="lora", epochs=1, promote_tolerance=-1.0)  # must beat the current by 1.0

    assert not refused.promoted and versions.current_version(data_dir) == kept.version
    assert (versions.heads_root(data_dir) / refused.version / ADAPTER_FILE).is_file()  # kept aside
    assert not (data_dir / "models" / "candidates" / refused.version).exists()
    assert json.loads((prepare_model(data_dir) / MARKER_FILE).read_text())["adapter"] == kept.metrics["encoder_adapter"]

    versions.rollback(data_dir)  # back to the shipped heads, and to the encoder they were fitted on
    shipped = versions.SHIPPED_DIR
    expected = read_adapter(shipped)[1]["sha256"] if (shipped / ADAPTER_FILE).is_file() else None
    assert json.loads((prepare_model(data_dir) / MARKER_FILE).read_text())["adapter"] == expected
