"""embedkit.datasets.text: the offline corpus, its cache, and the evaluation sets."""
import numpy as np
import pytest

from embedkit import tokenize
from embedkit.datasets import text
from embedkit.datasets.text import Corpus, load_analogies, load_corpus, load_word_pairs


# -- evaluation sets ---------------------------------------------------------------------
def test_word_pair_sets():
    ws, sl = load_word_pairs("wordsim353"), load_word_pairs("simlex999")
    assert len(ws) == 353 and len(sl) == 999
    assert ws[0] == ("love", "sex", 6.77) and sl[1] == ("smart", "intelligent", 9.2)
    for pairs in (ws, sl):
        assert all(0 <= s <= 10 and a == a.lower() and b == b.lower() for a, b, s in pairs)


def test_analogy_set():
    qs = load_analogies()
    assert len(qs) == 19544 and len({q[0] for q in qs}) == 14
    assert qs[0] == ("capital-common-countries", "athens", "greece", "baghdad", "iraq")
    assert all(len(q) == 5 and all(w == w.lower() for w in q[1:]) for q in qs)


# -- sources and the corpus ---------------------------------------------------------------
@pytest.mark.parametrize("source", sorted(text.SOURCES))
def test_every_source_yields_prose(source):
    docs = text.iter_documents(source)
    first = [next(docs) for _ in range(20)]
    assert all(isinstance(d, str) and d.strip() for d in first)
    assert sum(len(tokenize(d)) for d in first) > 100
    assert text.SOURCES[source].licence


def test_default_corpus_size_and_mix():
    full = load_corpus(progress=False)
    assert full.n_tokens > 8_000_000 and len(full.words) > 150_000
    assert full.words[:3] == ["the", "of", "a"]
    per = full.tokens_per_source()
    assert set(per) == set(text.SOURCES) and sum(per.values()) == full.n_tokens
    small = load_corpus("small", progress=False)
    assert abs(small.n_tokens - text.SMALL_TOKENS) < 5_000
    share = {k: v / small.n_tokens for k, v in small.tokens_per_source().items()}
    for name, n in per.items():               # shuffled: the slice mixes all sources alike
        assert share[name] == pytest.approx(n / full.n_tokens, abs=0.02)
    np.testing.assert_array_equal(small.ids, full.ids[:small.n_tokens])


def test_corpus_container():
    words = ["the", "cat", "sat", "dog"]
    c = Corpus([0, 1, 2, 0, 3, 2], [0, 3, 3, 6], words)      # a middle document is empty
    assert len(c) == 3 and c.n_tokens == 6
    assert list(c) == [["the", "cat", "sat"], [], ["the", "dog", "sat"]]
    assert c[-1] == ["the", "dog", "sat"]
    np.testing.assert_array_equal(c.counts(), [2, 1, 2, 1])
    assert list(c.head(4)) == [["the", "cat", "sat"], []]        # whole documents, <= 4 tokens
    with pytest.raises(ValueError, match="offsets"):
        Corpus([0, 1], [0, 3], words)


def test_cache_is_built_once_under_embedkit_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDKIT_CACHE", str(tmp_path))
    assert text.cache_dir() == tmp_path
    first = load_corpus(sources=("lee",), progress=False)
    folders = [p for p in tmp_path.iterdir() if p.name.startswith("corpus-")]
    assert len(folders) == 1 and (folders[0] / "ids.npy").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".building")]
    monkeypatch.setattr(text, "_build", lambda *a: pytest.fail("rebuilt instead of loading the cache"))
    again = load_corpus(sources="lee", progress=False)
    np.testing.assert_array_equal(first.ids, again.ids)
    assert first.words == again.words and first.n_tokens > 60_000


def test_bad_input():
    with pytest.raises(ValueError, match="size"):
        load_corpus("huge")
    with pytest.raises(ValueError, match="size"):
        load_corpus(0)
    with pytest.raises(ValueError, match="sources"):
        load_corpus(sources=("shakespeare",))
    with pytest.raises(ValueError, match="sources"):
        load_corpus(sources=())
    with pytest.raises(ValueError, match="name"):
        load_word_pairs("men")
    with pytest.raises(ValueError, match="source"):
        text.iter_documents("nope")
