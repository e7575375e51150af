"""Splits never overlap; per-query metrics agree with embedkit.search.metrics; intervals."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.retrieval.evaluation import (bootstrap_ci, paired_bootstrap_ci, per_query_metrics,
                                           train_val_test_split)


@pytest.mark.parametrize("n, n_val, n_test", [(10, 2, 3), (8799, 1000, 1000), (5, 0, 5)])
def test_splits_never_overlap(n, n_val, n_test):
    train, val, test = train_val_test_split(n, n_val, n_test, seed=3)
    assert len(val) == n_val and len(test) == n_test and len(train) == n - n_val - n_test
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(n))
    again = train_val_test_split(n, n_val, n_test, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(again, (train, val, test)))


def test_the_benchmark_splits_never_overlap():
    from embedkit.datasets import load_article_retrieval

    bench = load_article_retrieval()
    splits = [set(bench.train), set(bench.val), set(bench.test)]
    assert not (splits[0] & splits[1]) and not (splits[0] & splits[2]) and not (splits[1] & splits[2])
    # one relevant article per query, so the articles behind the splits are disjoint too
    articles = [set(bench.relevant[list(s)]) for s in splits]
    assert not (articles[0] & articles[1]) and not (articles[0] & articles[2]) and not (articles[1] & articles[2])
    assert len(set(bench.relevant)) == len(bench.queries)


def test_per_query_metrics_match_the_package_metrics():
    rng = np.random.default_rng(0)
    I = np.stack([rng.permutation(50)[:20] for _ in range(40)])
    I[3, 5:] = -1
    relevant = rng.integers(0, 50, size=40)
    m = per_query_metrics(I, relevant, k_ndcg=10, k_recall=20)
    rel = np.zeros((40, 50))
    rel[np.arange(40), relevant] = 1
    assert m["ndcg@10"].mean() == pytest.approx(ek.ndcg_at_k(I, rel, 10))
    assert m["recall@20"].mean() == pytest.approx(ek.recall_at_k(I, relevant[:, None], 20))
    assert m["rr"].mean() == pytest.approx(ek.mrr(I, relevant))
    # hand-computed: relevant at rank 3
    one = per_query_metrics(np.array([[4, 5, 6, 7]]), np.array([6]), k_ndcg=10, k_recall=2)
    assert one["ndcg@10"][0] == pytest.approx(1 / np.log2(4)) and one["recall@2"][0] == 0 and one["rr"][0] == pytest.approx(1 / 3)
    # several relevant ids: ideal DCG counts both
    two = per_query_metrics(np.array([[1, 9, 2]]), np.array([[1, 2]]), k_ndcg=3)
    assert two["ndcg@3"][0] == pytest.approx((1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3)))


def test_bootstrap_intervals():
    rng = np.random.default_rng(1)
    x = rng.random(1000)
    mean, lo, hi = bootstrap_ci(x, seed=0)
    se = x.std() / np.sqrt(len(x))
    assert lo < mean < hi and (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.15)
    # paired: a constant shift has a zero-width interval; unpaired noise would not
    d = paired_bootstrap_ci(x + 0.01, x)
    assert d[0] == pytest.approx(0.01) and d[2] - d[1] < 1e-9
    with pytest.raises(ValueError, match="same queries"):
        paired_bootstrap_ci(x, x[:10])
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="exceeds"):
        train_val_test_split(5, 3, 3)
    with pytest.raises(ValueError, match="relevant"):
        per_query_metrics(np.zeros((2, 3), int), np.array([[-1], [0]]))
