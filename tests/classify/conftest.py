"""Fixtures for classification tests: the real model, prepared once and cached between runs."""

import os
from pathlib import Path

import pytest

from portal.classify.encoder import Encoder
from portal.classify.infer import Classifier
from portal.classify.heads import Heads
from portal.classify import versions
from portal.classify.prepare import prepare_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """A data dir holding the converted model; PORTAL_TEST_MODEL_CACHE overrides var/test-model-cache."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Path(os.environ.get("PORTAL_TEST_MODEL_CACHE", REPO / "var" / "test-model-cache"))


@pytest.fixture(scope="session")
def prepared_model_dir(model_cache_dir) -> Path:
    return prepare_model(model_cache_dir)


@pytest.fixture(scope="session")
def encoder(prepared_model_dir) -> Encoder:
    """The default backend (int8 ONNX), exported into the cache on first use."""
    return Encoder(prepared_model_dir)


@pytest.fixture(scope="session")
def float_encoder(prepared_model_dir) -> Encoder:
    """The float32 torch model: the reference the int8 graph is held to."""
    return Encoder(prepared_model_dir, backend="torch")


@pytest.fixture(scope="session")
def classifier(encoder) -> Classifier:
    """The classifier with the heads shipped in the repo, as a fresh install has it."""
    return Classifier(encoder, Heads.load(versions.SHIPPED_DIR), versions.shipped_version())
