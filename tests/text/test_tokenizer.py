"""embedkit.text.tokenizer: the course's word tokeniser."""
import pytest

from embedkit import tokenize


def test_hand_examples():
    assert tokenize("The cat sat.") == ["the", "cat", "sat"]
    assert tokenize("Don't stop") == ["don't", "stop"]
    assert tokenize("the nation's flag") == ["the", "nation", "flag"]          # possessive dropped
    assert tokenize("twenty-first, 1,000") == ["twenty", "first", "1", "000"]
    assert tokenize("Curly \u2019quotes\u2019 and it\u2019s") == ["curly", "quotes", "and", "it"]
    assert tokenize("Café MÜNCHEN") == ["café", "münchen"]
    assert tokenize("snake_case") == ["snake", "case"]                        # _ separates


def test_edge_cases_and_case_option():
    assert tokenize("") == []
    assert tokenize("  ...!?  ") == []
    assert tokenize("The King", lowercase=False) == ["The", "King"]
    assert tokenize("\ufb01ne") == ["fine"]                                  # NFKC: the ligature fi


def test_rejects_non_strings():
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(["a", "list"])
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(None)
