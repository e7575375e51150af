"""Part IV, retrieval systems (notebooks 19 and 20).

What turns an index into a search engine. Lesson 19 (retrieval in practice): ``bm25``
(the lexical retriever, on a sparse inverted index), ``fusion`` (hybrid search: normalised
score fusion and reciprocal rank fusion), ``late_interaction`` (ColBERT's MaxSim over token
vectors), ``chunking`` (long documents as overlapping chunks) and ``evaluation`` (disjoint
train / validation / test splits, per-query metrics, bootstrap confidence intervals).
Lesson 20 (the capstone): ``vector_store`` keeps a metadata row next to every vector and
filters on it (pre- or post-filtering), and saves and reloads the whole collection.
The models lesson 19 trains (cross-encoder, Matryoshka, bi-encoder adapter) live in
``embedkit.neural``.

Depends on the core and on ``embedkit.search``.
"""
from .bm25 import BM25
from .chunking import best_chunk_per_document, chunk_documents, chunk_spans
from .evaluation import bootstrap_ci, paired_bootstrap_ci, per_query_metrics, train_val_test_split
from .fusion import normalize_scores, reciprocal_rank_fusion, score_fusion
from .late_interaction import LateInteractionIndex, maxsim
from .vector_store import VectorStore
# The capstone's engine bridge: a VectorStore to LanceDB and back, LanceDB searched as (D, I).
from .lancedb_bridge import (from_lancedb, lancedb_search, lancedb_search_shards, to_lancedb,
                             where_to_sql)
