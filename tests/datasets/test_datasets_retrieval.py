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


def test_shipped_reranker_head_loads_with_its_training_record():
    from embedkit.datasets.retrieval import RERANKER_SETTINGS, RERANKER_WEIGHTS, _load_head

    head, record = _load_head()
    assert record["settings"] == RERANKER_SETTINGS
    assert record["loss_last"] < record["loss_first"]        # it learned something
    assert not head.training
    assert sum(p.numel() for p in head.parameters()) == 58_626
    assert RERANKER_WEIGHTS.stat().st_size < 400_000          # small enough to ship in git


def test_damaged_or_missing_reranker_weights_give_a_clear_error(tmp_path):
    from embedkit.datasets.retrieval import RERANKER_WEIGHTS, _load_head

    with pytest.raises(FileNotFoundError, match="--train-reranker"):
        _load_head(tmp_path / "absent.npz")
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(RERANKER_WEIGHTS.read_bytes()[:5000])       # a truncated copy
    with pytest.raises(ValueError, match="unreadable"):
        _load_head(damaged)
    record = np.load(RERANKER_WEIGHTS)["__record__"]
    misfit = tmp_path / "misfit.npz"                                   # right settings, wrong tensors
    np.savez(misfit, __record__=record, cls=np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="do not fit CrossEncoderHead"):
        _load_head(misfit)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, __record__=np.array('{"settings": {"d_model": 8}}'))
    with pytest.raises(ValueError, match="trained with"):
        _load_head(foreign)
