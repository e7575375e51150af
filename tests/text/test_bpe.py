"""embedkit.text.bpe: merges by hand, exact round trips, and compression against the
``tokenizers`` library's BPE trainer on the course's own documents."""
import random

import pytest

from embedkit import BPETokenizer
from embedkit.text.bpe import pretokenize

ROUND_TRIP = [
    "", " ", "a", "The cat's 2 hats!", "  two  spaces\tand a tab\nand a newline\n\n",
    "Café naïve façade, Ærøskøbing", "日本語のテキスト", "emoji 🙂👍🏽 and ZWJ 👩‍👩‍👧",
    "snake_case and under__scores", "numbers 3.14159 1,000,000 -42", "'s 're 'll don't I'M",
    "mixed\u00a0nbsp\u2003em-space\u200bzero-width", "tabs\t\t\tend   ", "\r\n windows line",
    "a" * 500, "ΑΧΙΛΛΕΥΣ ὀδυσσεύς", "¿Qué? ¡Sí! «quotes» “curly” — dash",
]


def test_pretokenize_covers_every_character():
    for text in ROUND_TRIP:
        assert "".join(pretokenize(text)) == text
    assert pretokenize("The cat's 2 hats!") == ["The", " cat", "'s", " 2", " hats", "!"]
    # runs of white space keep their last space for the next word (GPT-2's rule)
    assert pretokenize("a   b") == ["a", "  ", " b"]


def test_merges_by_hand():
    """'aaab' x 2: the first merge is the most frequent pair (a, a), counted 2 per word."""
    bpe = BPETokenizer.train(["aaab aaab"], vocab_size=258)
    a, b = ord("a"), ord("b")
    assert bpe.merges[0] == (a, a)                      # (a,a) occurs 4 times, (a,b) 2 times
    assert bpe.vocab[256] == b"aa"
    # after merge 0 the words are [aa, a, b] and [' ', aa, a, b]: (aa, a) and (a, b) tie at 2,
    # and the tie goes to the pair whose bytes sort first: (b'a', b'b') < (b'aa', b'a')
    assert bpe.merges[1] == (a, b)
    assert bpe.encode("aaab") == [256, 257]
    assert bpe.tokens("aaab") == ["aa", "ab"]


def test_round_trip_every_string():
    bpe = BPETokenizer.train(ROUND_TRIP * 3 + ["the theme of these thermal things"] * 5, vocab_size=400)
    assert bpe.vocab_size <= 400
    for text in ROUND_TRIP:
        ids = bpe.encode(text)
        assert all(0 <= i < bpe.vocab_size for i in ids)
        assert bpe.decode(ids) == text
    # rebuilding from the merges gives the same tokenizer
    again = BPETokenizer(bpe.merges)
    assert [again.encode(t) for t in ROUND_TRIP] == [bpe.encode(t) for t in ROUND_TRIP]


def test_decode_of_a_cut_character_replaces_it():
    bpe = BPETokenizer()
    ids = bpe.encode("é")                               # two UTF-8 bytes, no merges
    assert ids == [0xC3, 0xA9]
    assert bpe.decode(ids[:1]) == "\ufffd"


@pytest.fixture(scope="module")
def documents():
    """Wikipedia article summaries from the course's data: 1,500 to train on, 500 held out."""
    from embedkit.datasets import load_wiki_articles

    docs = load_wiki_articles().texts
    picked = random.Random(0).sample(range(len(docs)), 2000)
    return [docs[i] for i in picked[:1500]], [docs[i] for i in picked[1500:]]


def test_compression_within_one_percent_of_the_tokenizers_library(documents):
    """Same documents, same byte-level pre-tokenisation, same vocabulary size: the number
    of tokens on held-out documents is within 1% of the reference trainer's."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    train, held_out = documents
    vocab_size = 800
    ours = BPETokenizer.train(train, vocab_size, seed=0)
    ref = Tokenizer(models.BPE())
    ref.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    ref.train_from_iterator(train, trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    assert ours.vocab_size == ref.get_vocab_size() == vocab_size
    n_ours = sum(len(ours.encode(t)) for t in held_out)
    n_ref = sum(len(e.ids) for e in ref.encode_batch(held_out))
    n_bytes = sum(len(t.encode("utf-8")) for t in held_out)
    assert n_bytes / n_ours > 2.2                      # it compresses: > 2.2 bytes per token
    assert abs(n_ours / n_ref - 1) < 0.01, (n_ours, n_ref)
    assert all(ours.decode(ours.encode(t)) == t for t in held_out)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: BPETokenizer.train("one string", 300), TypeError, "iterable of str"),
    (lambda: BPETokenizer.train(["ok", 3], 300), TypeError, "position 1"),
    (lambda: BPETokenizer.train(["ok"], 100), ValueError, "vocab_size"),
    (lambda: BPETokenizer().encode(["a list"]), TypeError, "text must be a str"),
    (lambda: BPETokenizer().decode([300]), ValueError, r"\[0, 255\]"),
    (lambda: BPETokenizer().decode("abc"), TypeError, "list of int"),
    (lambda: BPETokenizer([(1, 999)]), ValueError, "merges"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
