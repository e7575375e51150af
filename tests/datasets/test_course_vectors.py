"""The shipped full-corpus course vectors (``make vectors``): they load, they score what
``make vectors`` recorded, and they show what lessons 03-07 say they show."""
import shutil

import numpy as np
import pytest

from embedkit import SubwordVectors, WordVectors
from embedkit._saved_files import SavedFileError
from embedkit.datasets import COURSE_VECTORS, course_vectors_report, load_course_vectors
from embedkit.datasets.course_vectors import (COURSE_VECTORS_DIR, SHIPPED_SUBWORD_WORDS, SHIPPED_WORDS,
                                              score_vectors)

REPORT = course_vectors_report()


@pytest.fixture(scope="module")
def models():
    return {name: load_course_vectors(name) for name in COURSE_VECTORS}


def test_every_model_loads_as_float32_with_the_stated_vocabulary(models):
    for name, wv in models.items():
        assert wv.vectors.dtype == np.float32 and wv.vector_size == 100
        cap = SHIPPED_SUBWORD_WORDS if name == "subword" else SHIPPED_WORDS
        assert len(wv) == cap, name
        assert np.isfinite(wv.vectors).all()
    assert isinstance(models["subword"], SubwordVectors)
    assert type(models["glove"]) is WordVectors


def test_the_files_fit_the_budget():
    total = sum(p.stat().st_size for p in COURSE_VECTORS_DIR.glob("*.npz"))
    assert 0 < total <= 30e6, f"{total / 1e6:.1f} MB shipped"


def test_loaded_vectors_score_what_make_vectors_recorded(models):
    measured = score_vectors(models)
    for name in COURSE_VECTORS:
        recorded = REPORT["shipped_scores"][name]
        for key in ("wordsim353", "simlex999", "analogies"):
            assert measured[name][key] == pytest.approx(recorded[key], abs=2e-3), (name, key)
            assert measured[name][key.replace("analogies", "analogy") + "_coverage"] == \
                pytest.approx(recorded[key.replace("analogies", "analogy") + "_coverage"])


def test_full_scale_targets_of_issue_15():
    full = REPORT["full"]
    sg = full["word2vec-sg"]
    assert sg["wordsim353"] >= 0.65
    assert sg["analogies_common"] >= full["gensim Word2Vec skip-gram"]["analogies_common"] - 0.02
    # GloVe: WS353 >= 0.60 with the sweep's settings (all-but-the-top 2 included, notebook 05);
    # the post-processing is what lifts it there, and it costs analogies (recorded, shown in 05)
    assert full["glove"]["wordsim353"] >= 0.60
    post = REPORT["post_processing"]
    assert post["glove, all-but-the-top 2"]["wordsim353"] == pytest.approx(full["glove"]["wordsim353"])
    assert post["glove, raw W + C"]["wordsim353"] < full["glove"]["wordsim353"]
    # the subword model matches gensim FastText's quality (the time target is a benchmark's)
    assert full["subword"]["wordsim353"] >= full["gensim FastText"]["wordsim353"] - 0.02
    assert full["subword"]["analogies_common"] >= full["gensim FastText"]["analogies_common"] - 0.02


def test_king_minus_man_plus_woman_is_queen(models):
    top = models["word2vec-sg"].most_similar(positive=["king", "woman"], negative=["man"], topn=1)
    assert top[0][0] == "queen"


def test_the_subword_model_covers_misspelt_words(models):
    sub = models["subword"]
    assert "goverment" not in sub and sub.has_vector("goverment")
    assert "government" in [w for w, _ in sub.most_similar("goverment", topn=5)]
    # the vectors are not collapsed onto one direction: random pairs are far from cosine 1
    rng = np.random.default_rng(0)
    U = sub.unit_vectors
    a, b = rng.integers(0, len(U), 2000), rng.integers(0, len(U), 2000)
    assert float(np.mean(np.sum(U[a] * U[b], axis=1))) < 0.5


def test_bad_name_missing_and_damaged_files_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="name"):
        load_course_vectors("word2vec")
    with pytest.raises(FileNotFoundError, match="make vectors"):
        load_course_vectors("glove", folder=tmp_path)
    shutil.copy(COURSE_VECTORS_DIR / "glove.npz", tmp_path / "glove.npz")
    raw = bytearray((tmp_path / "glove.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "glove.npz").write_bytes(bytes(raw))
    with pytest.raises(SavedFileError):
        load_course_vectors("glove", folder=tmp_path)
    (tmp_path / "report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SavedFileError, match="damaged"):
        course_vectors_report(folder=tmp_path)
