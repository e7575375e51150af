"""embedkit: embeddings and vector search from first principles.

The companion package of the embedkit course. One module per concept (see the README's
course map); the public names below are a contract that notebooks, tests and benchmarks
rely on (COURSE.md, "The public API").
"""
__version__ = "0.1.0"

# -- vectors and similarity (notebook 01) --------------------------------------------
from .similarity import cosine, dot, hamming, l1, l2, normalize, pairwise, top_k

# -- word embeddings (notebooks 02-04) ------------------------------------------------
from .cooccurrence import cooccurrence_matrix, ppmi, svd_embeddings
from .tokenizer import tokenize
from .vocab import Vocabulary
from .word2vec import TrainingLog, train_word2vec
from .word_vectors import EvaluationResult, WordVectors

# -- word embeddings II: GloVe, subwords (notebooks 05-06)
from .glove import train_glove
from .subword import SubwordVectors, char_ngrams, train_subword

# -- evaluation and bias (notebook 07)
from .alignment import align, procrustes
from .bias import gender_direction, hard_debias, project, weat_effect_size, weat_test

# -- neural training loop shared by notebooks 08-10
from .training import TrainingHistory, fit, get_device, seeded

# -- contextual embeddings: attention, tiny transformer, masked LM (notebook 08)
from .attention import MultiHeadSelfAttention, scaled_dot_product_attention, sinusoidal_positions
from .encoder import (MLMVocab, TransformerEncoder, contextual_vectors, evaluate_mlm, mask_tokens,
                      train_mlm)

# -- sentence and categorical embeddings (notebooks 09-10)
from .categorical import (EntityEmbeddingModel, collision_rate, embedding_size_rules,
                          expected_collision_rate, hash_bucket, make_categorical_data,
                          train_entity_model)
from .losses import info_nce, triplet_loss
from .pooling import cls_pool, max_pool, mean_pool, sif_embeddings, sif_weights
from .sentence import SentenceEncoder, train_sentence_encoder

# -- search I: exact search, k-means, IVF, scalar/binary quantization (notebooks 11-13)
from .binary_quantization import BinaryIndex, BinaryQuantizer, hamming_distances
from .flat import FlatIndex
from .index_base import NotTrainedError
from .ivf import IVFIndex
from .kmeans import balanced_kmeans, kmeans, kmeans_plusplus
from .metrics import mrr, ndcg_at_k, recall_at_k
from .scalar_quantization import ScalarQuantizer, SQIndex

# -- search III: LSH, random projection trees, HNSW (notebooks 15-16)
from .hnsw import HNSWIndex
from .lsh import LSHIndex
from .rptree import RPForestIndex

# -- search II: product quantization (notebook 14)
from .opq import OPQ
from .pq import ProductQuantizer
from .pq_index import IVFPQIndex, PQIndex

# -- capstone: a vector store with metadata and filtered search (notebook 17)
from .vector_store import VectorStore

import types as _types

__all__ = sorted(
    name for name, value in globals().items()
    if not name.startswith("_") and not isinstance(value, _types.ModuleType)
)
