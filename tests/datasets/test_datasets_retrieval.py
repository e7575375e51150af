"""The retrieval benchmark of notebook 19 and, when it has been built, its MiniLM cache."""
import numpy as np
import pytest

from embedkit.datasets import load_article_retrieval
from embedkit.datasets.retrieval import load_minilm_features


def test_benchmark_is_deterministic_and_well_formed():
    a, b = load_article_retrieval(), load_article_retrieval()
    assert a.queries == b.queries and np.array_equal(a.test, b.test)
    assert len(a.doc_texts) == 10_033 and len(a.queries) == len(a.relevant)
    assert len(a.val) == len(a.test) == 1000 and len(a.train) == len(a.queries) - 2000
    assert len(set(a.queries)) == len(a.queries)                    # unique descriptions
    assert all(len(q.split()) >= 3 for q in a.queries)
    i = a.queries.index("Socratic dialogue written by Plato")
    assert a.doc_titles[a.relevant[i]] == "Apology (Plato)"


def test_cached_features_are_consistent():
    try:
        f = load_minilm_features(build=False)
    except FileNotFoundError:
        pytest.skip("the retrieval cache is not built (make retrieval-cache)")
    bench = load_article_retrieval()
    assert f.doc_vectors.shape == (len(bench.doc_texts), 384) and f.query_vectors.shape == (len(bench.queries), 384)
    assert np.allclose(np.linalg.norm(f.doc_vectors, axis=1), 1, atol=1e-4)
    # the sentence vector is the normalised mean of the stored token vectors (float16 storage)
    for i in (0, 5000, len(bench.doc_texts) - 1):
        mean = np.asarray(f.doc_tokens[f.doc_offsets[i]:f.doc_offsets[i + 1]], dtype=np.float32).mean(0)
        assert float(mean @ f.doc_vectors[i]) / np.linalg.norm(mean) > 0.9999
    assert np.diff(f.doc_offsets).max() <= 128
