"""`portal model finetune`: adapt the encoder on this machine, fit heads on it, promote both only if not worse."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from portal.classify import versions
from portal.classify.adapter import compute_delta, model_weights, read_weights, save_adapter
from portal.classify.encoder import Encoder
from portal.classify.examples import Example
from portal.classify.finetune import DEFAULT_RECIPES, adapt_encoder
from portal.classify.heads import Heads
from portal.classify.prepare import MODEL_NAME, accelerated_model_dir, prepare_base_model, prepare_model
from portal.classify.train import PROMOTE_TOLERANCE, TrainingResult, evaluate, train, training_examples

# The method `portal model finetune` uses unless told otherwise: the winner of bench/adapt.py on
# held-out F1 per minute of training (see the README's table).
DEFAULT_METHOD = "lora"


def finetune(data_dir: Path, *, csv_paths: list[Path] = (), corrections: list[tuple[str, dict]] = (),
             method: str = DEFAULT_METHOD, epochs: int | None = None, on_step=None,
             include_seed: bool = True, promote_tolerance: float = PROMOTE_TOLERANCE) -> TrainingResult:
    """Adapt the encoder on the seed set, the CSV files and staff corrections (never on the fixed held-out
    fifth), fit new heads on it, and promote the pair if its held-out score is not worse than the current
    model's (current encoder + current heads). Not promoted, it is kept aside; `portal model rollback`
    goes back to the previous pair.
    """
    data_dir = Path(data_dir)
    examples = training_examples(csv_paths, corrections, include_seed)
    recipe = DEFAULT_RECIPES[method]
    if epochs is not None:
        recipe = replace(recipe, epochs=epochs)
    training_rows = [e for e in examples if not e.held_out]
    held = [e for e in examples if e.held_out]

    baseline = _current_score(data_dir, held)
    base = prepare_base_model(data_dir)
    result = adapt_encoder(base, training_rows, recipe, on_step=on_step)
    base_weights = read_weights(base)
    adapted = model_weights(result.model)
    del result.model
    version = versions.new_version_name()
    candidate = versions.heads_root(data_dir) / version
    save_adapter(candidate, compute_delta(base_weights, {k: adapted[k] for k in base_weights}), {
        "method": method, "epochs": recipe.epochs, "learning_rate": recipe.learning_rate,
        "training_examples": len(training_rows), "training_minutes": round(result.seconds / 60, 2),
        "base": MODEL_NAME,
    })
    del adapted, base_weights
    # The candidate encoder gets a folder of its own, under the same name (heads are tied to the name).
    staging = data_dir / "models" / "candidates" / version
    try:
        model_dir = prepare_model(data_dir, adapter_dir=candidate, target=staging / MODEL_NAME)
        encoder = Encoder(model_dir, accelerated_dir=staging / "onnx-int8")
        outcome = train(data_dir, encoder, csv_paths=list(csv_paths), corrections=list(corrections),
                        include_seed=include_seed, adapter_dir=candidate, encoder_changed=True, baseline=baseline,
                        version=version, promote_tolerance=promote_tolerance)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outcome.metrics["adaptation"] = {"method": method, "epochs": recipe.epochs,
                                     "training_minutes": round(result.seconds / 60, 2), "steps": result.steps}
    if outcome.promoted:  # the folder the worker loads is rebuilt from the new adapter (and exported to int8)
        model_dir = prepare_model(data_dir)
        Encoder(model_dir, accelerated_dir=accelerated_model_dir(data_dir, model_dir))
    return outcome


def _current_score(data_dir: Path, held: list[Example]) -> dict | None:
    """Held-out metrics of the model in use: its own encoder (adapted or not) with its own heads."""
    if not held:
        return None
    _name, folder = versions.current_heads_dir(data_dir)
    try:
        heads = Heads.load(folder)
    except (OSError, KeyError, ValueError):
        return None
    model_dir = prepare_model(data_dir)
    encoder = Encoder(model_dir, backend=heads.backend, feature_layers=heads.feature_layers,
                      accelerated_dir=accelerated_model_dir(data_dir, model_dir))
    if encoder.feature_dim != heads.feature_dim:
        return None
    return evaluate(heads, held, encoder.encode([e.text for e in held]).features)
