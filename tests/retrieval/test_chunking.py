"""Chunk windows, chunked documents and the best-chunk aggregation."""
import numpy as np
import pytest

from embedkit.retrieval.chunking import best_chunk_per_document, chunk_documents, chunk_spans


def test_spans():
    assert chunk_spans(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_spans(10, 4, 2) == [(0, 4), (2, 6), (4, 8), (6, 10)]
    assert chunk_spans(3, 4, 1) == [(0, 3)]
    assert chunk_spans(0, 4) == []
    for n, size, overlap in [(37, 8, 3), (100, 32, 16), (5, 5, 0)]:
        spans = chunk_spans(n, size, overlap)
        covered = np.zeros(n, bool)
        for a, b in spans:
            assert b - a <= size
            covered[a:b] = True
        assert covered.all()
        assert all(s2[0] - s1[0] == size - overlap for s1, s2 in zip(spans, spans[1:]))


def test_documents_and_aggregation():
    chunks, owner = chunk_documents([list("abcdefg"), list("xy")], size=3, overlap=1)
    assert chunks == [list("abc"), list("cde"), list("efg"), list("xy")]
    assert owner.tolist() == [0, 0, 0, 1]
    D = np.array([[0.9, 0.8, 0.7, 0.1]])
    I = np.array([[2, 3, 0, -1]])            # chunk ids, best first
    Dd, Id = best_chunk_per_document(D, I, owner, k=3)
    assert Id.tolist() == [[0, 1, -1]] and np.allclose(Dd[0, :2], [0.9, 0.8])


def test_bad_input():
    with pytest.raises(ValueError, match="overlap"):
        chunk_spans(10, 4, 4)
    with pytest.raises(TypeError, match="token lists"):
        chunk_documents(["a text"], 3)
    with pytest.raises(ValueError, match="same shape"):
        best_chunk_per_document(np.zeros((1, 2)), np.zeros((1, 3), int), np.zeros(3, int), 1)
