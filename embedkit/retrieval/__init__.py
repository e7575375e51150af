"""Part IV, retrieval systems (notebook 20, the capstone).

What turns an index into a search engine: ``vector_store`` keeps a metadata row next to
every vector and filters on it (pre- or post-filtering), saves and reloads the whole
collection, and is the capstone's storage layer. The lexical and hybrid pieces of lesson
19 (BM25, score fusion, reranking) belong to this part.

Depends on the core and on ``embedkit.search``.
"""
from .vector_store import VectorStore
# The capstone's engine bridge: a VectorStore to LanceDB and back, LanceDB searched as (D, I).
from .lancedb_bridge import (from_lancedb, lancedb_search, lancedb_search_shards, to_lancedb,
                             where_to_sql)
