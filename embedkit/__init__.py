"""embedkit: embeddings and vector search from first principles.

The companion package of the embedkit course, one subpackage per part of the course and
one module per concept:

* the core, at the top: ``similarity`` (lesson 01) and private helpers (``_validation``,
  ``_rng``, ``_jit``, ``_device``, ``_data_files``, ``_saved_files``: the one self-checking
  file format of every ``save``/``load``);
* ``embedkit.text``: word embeddings from text (lessons 02-07);
* ``embedkit.neural``: contextual, sentence and categorical embeddings with torch (08-10);
* ``embedkit.search``: exact and approximate vector search, quantization (11-16);
* ``embedkit.retrieval``: the vector store and what a search engine adds (20);
* ``embedkit.datasets``: every data set the course uses, offline;
* ``embedkit.course`` and ``embedkit.exercises``: the course reading itself, and the
  exercise checkers.

Parts depend one way, in that order (a part imports only the parts listed before it;
``tests/test_package_layout.py`` enforces it). The public names below are a contract that
notebooks, tests and benchmarks rely on (COURSE.md, "The public API"), importable as
``import embedkit as ek; ek.FlatIndex``.
"""
__version__ = "0.1.0"

# -- vectors and similarity (notebook 01) ---------------------------------------------
from .similarity import cosine, dot, hamming, l1, l2, normalize, pairwise, top_k
from ._saved_files import SavedFileError   # what every load raises for a damaged file

# -- threads: every batch search and parallel build honours this (notebooks 11-18) -------
from ._threads import get_num_threads, set_num_threads

# -- part I, text: word embeddings (notebooks 02-07) ----------------------------------
from .text import (EvaluationResult, SubwordVectors, TrainingLog, Vocabulary, WordVectors, align,
                   char_ngrams, cooccurrence_matrix, gender_direction, hard_debias, ppmi, procrustes,
                   project, svd_embeddings, tokenize, train_glove, train_subword, train_word2vec,
                   weat_effect_size, weat_test)
from .text import BPETokenizer, WordPieceTokenizer, all_but_the_top, lsa, term_document_matrix, tfidf

# -- part II, neural: contextual, sentence and categorical embeddings (notebooks 08-10) -
from .neural import (EntityEmbeddingModel, MLMVocab, MultiHeadSelfAttention, SentenceEncoder,
                     TrainingHistory, TransformerEncoder, cls_pool, collision_rate,
                     contextual_vectors, embedding_size_rules, evaluate_mlm, expected_collision_rate,
                     fit, get_device, hash_bucket, info_nce, make_categorical_data, mask_tokens,
                     max_pool, mean_pool, scaled_dot_product_attention, seeded, sif_embeddings,
                     sif_weights, sinusoidal_positions, train_entity_model, train_mlm,
                     train_sentence_encoder, triplet_loss)

# -- part III, search: exact and approximate nearest neighbours (notebooks 11-16) ------
from .search import (OPQ, BinaryIndex, BinaryQuantizer, FlatIndex, HNSWIndex, IVFIndex, IVFPQIndex,
                     LSHIndex, NotTrainedError, PQIndex, ProductQuantizer, RPForestIndex,
                     ScalarQuantizer, SQIndex, balanced_kmeans, hamming_distances, index_factory,
                     kmeans, kmeans_plusplus, mrr, ndcg_at_k, recall_at_k)

# -- lesson 17, beyond HNSW: Vamana, DiskANN's SSD layout, ScaNN's anisotropic quantization
from .search import (AnisotropicPQ, DiskANNIndex, ScaNNIndex, VamanaIndex, anisotropic_eta,
                     anisotropic_loss, robust_prune)

# -- lesson 18, choosing an index: measured trade-offs and the selection guide ---------
from .search import pareto_frontier, qps_at_recall, recommend_index, saved_size, sweep

# -- part IV, retrieval: a vector store with metadata and filtered search (notebook 20) -
from .retrieval import VectorStore
from .retrieval import (from_lancedb, lancedb_search, lancedb_search_shards, to_lancedb,
                        where_to_sql)

# -- lesson 19, retrieval in practice: lexical, hybrid, late interaction, evaluation ----
from .neural import (CrossEncoderHead, LinearAdapter, cross_encoder_scores, matryoshka_loss,
                     mine_hard_negatives, train_adapter, train_cross_encoder, matryoshka_truncate)
from .retrieval import (BM25, LateInteractionIndex, best_chunk_per_document, bootstrap_ci,
                        chunk_documents, chunk_spans, maxsim, normalize_scores,
                        paired_bootstrap_ci, per_query_metrics, reciprocal_rank_fusion,
                        score_fusion, train_val_test_split)

import types as _types

__all__ = sorted(
    name for name, value in globals().items()
    if not name.startswith("_") and not isinstance(value, _types.ModuleType)
)
