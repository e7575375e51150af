"""Part II, neural embeddings with torch (notebooks 08-10).

Vectors that depend on their context and vectors learned for a task: scaled dot-product
and multi-head ``attention`` with sinusoidal positions, a tiny transformer ``encoder``
trained by masked-LM, ``pooling`` token vectors into one (mean, max, CLS, SIF), the
contrastive ``losses`` (triplet, InfoNCE) that train a ``sentence`` encoder, and
``categorical`` entity embeddings for tabular columns. ``training`` is the one torch
loop they all share (``fit``).

Depends on the core and on ``embedkit.text`` (tokenizer, vocabulary).
"""
from .._device import get_device
from .attention import MultiHeadSelfAttention, scaled_dot_product_attention, sinusoidal_positions
from .categorical import (EntityEmbeddingModel, collision_rate, embedding_size_rules,
                          expected_collision_rate, hash_bucket, make_categorical_data,
                          train_entity_model)
from .encoder import (MLMVocab, TransformerEncoder, contextual_vectors, evaluate_mlm, mask_tokens,
                      train_mlm)
from .losses import info_nce, triplet_loss
from .pooling import cls_pool, max_pool, mean_pool, sif_embeddings, sif_weights
from .sentence import SentenceEncoder, train_sentence_encoder
from .training import TrainingHistory, fit, seeded
