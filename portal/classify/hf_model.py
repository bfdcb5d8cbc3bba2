"""A local Hugging Face encoder folder: loading it offline, padding a batch, the pooled pass exported to ONNX."""

import os
from pathlib import Path

import numpy as np

# torch and transformers are imported inside the functions that use them: they take seconds to load.


def load_offline(model_dir: Path, *, with_model: bool = True):
    """Tokenizer (and model, in float32) from a local folder, never from the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"no Hugging Face model in {model_dir} (run `portal model prepare`)")
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the missing pooler is expected: we mean-pool
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        if not with_model:
            return tokenizer, None
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(verbosity)
    return tokenizer, model.eval()


def pooled_hidden_states(model, input_ids, attention_mask):
    """Masked mean of each layer's states (embeddings first): the graph exported to ONNX."""
    import torch

    out = model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
    weights = attention_mask.unsqueeze(-1).to(torch.float32)
    counts = weights.sum(dim=1).clamp(min=1.0)
    return torch.stack([(h * weights).sum(dim=1) / counts for h in out.hidden_states], dim=1)


def pad(sequences: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of a batch, right-padded to its longest sequence (int64)."""
    width = max(len(s) for s in sequences)
    input_ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        input_ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1
    return input_ids, mask
