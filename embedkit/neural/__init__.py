"""Part II, neural embeddings with torch (notebooks 08-10).

Vectors that depend on their context and vectors learned for a task: scaled dot-product
and multi-head ``attention`` with sinusoidal positions, a tiny transformer ``encoder``
trained by masked-LM, ``pooling`` token vectors into one (mean, max, CLS, SIF), the
contrastive ``losses`` (triplet, InfoNCE) that train a ``sentence`` encoder, and
``categorical`` entity embeddings for tabular columns. ``training`` is the one torch
loop they all share (``fit``). For lesson 19: ``biencoder`` (a bi-encoder fine-tuned as
an adapter on frozen features, with mined hard negatives), ``matryoshka`` (the nested
loss) and ``cross_encoder`` (a joint-attention reranker on frozen token vectors).

Depends on the core and on ``embedkit.text`` (tokenizer, vocabulary).
"""
from .._device import get_device
from .attention import MultiHeadSelfAttention, scaled_dot_product_attention, sinusoidal_positions
from .biencoder import LinearAdapter, mine_hard_negatives, train_adapter
from .categorical import (EntityEmbeddingModel, collision_rate, embedding_size_rules,
                          expected_collision_rate, hash_bucket, make_categorical_data,
                          train_entity_model)
from .encoder import (MLMVocab, TransformerEncoder, contextual_vectors, evaluate_mlm, mask_tokens,
                      train_mlm)
from .cross_encoder import CrossEncoderHead, cross_encoder_scores, train_cross_encoder
from .losses import info_nce, triplet_loss
from .matryoshka import matryoshka_loss, matryoshka_truncate
from .pooling import cls_pool, max_pool, mean_pool, sif_embeddings, sif_weights
from .sentence import SentenceEncoder, train_sentence_encoder
from .training import TrainingHistory, fit, seeded
