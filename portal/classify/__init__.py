"""Classification of feedback: model preparation, the multilingual encoder, label heads, training."""
