"""The package's shape: parts you can see, depending one way, each with its tests beside it.

``embedkit`` is split by part of the course. A part may import the core and the parts
before it in the course's order, never one after it, so that each part can be read (and
tested) knowing only what came earlier. Imports inside functions count too: a lazy import
that runs "upwards" is a hidden cycle.
"""
import ast
import importlib
from pathlib import Path

import pytest

import embedkit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "embedkit"

# The order parts may depend in: each imports only from its own rank or lower.
RANK = {
    # the core: lesson 01 and the private helpers every part shares
    "similarity": 0, "_validation": 0, "_rng": 0, "_jit": 0, "_device": 0, "_data_files": 0,
    "_saved_files": 0, "_threads": 0,
    "text": 1,         # lessons 02-07
    "neural": 2,       # lessons 08-10
    "search": 3,       # lessons 11-16
    "retrieval": 4,    # lessons 17-20
    "datasets": 5,     # builds corpora (text), ground truth (search), pretrained vectors (text)
    "course": 6, "exercises": 6,   # read the notebooks; check learners' answers with any part
}
PARTS = ("text", "neural", "search", "retrieval")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ".".join(parts), path.name == "__init__.py"


def _part(module: str) -> str:
    """'embedkit.search.hnsw' -> 'search'; 'embedkit.similarity' -> 'similarity'."""
    return module.split(".")[1]


def _imports(path: Path, module: str, is_package: bool):
    """Absolute names of every embedkit module ``path`` imports, at any depth."""
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "embedkit":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "embedkit":
                target = node.module
            else:
                continue
            if target == "embedkit":        # from embedkit import x / from .. import x
                for alias in node.names:
                    yield node.lineno, f"embedkit.{alias.name}"
            else:
                yield node.lineno, target


def test_every_module_has_a_place_in_the_order():
    for path, module, _ in _modules():
        if module != "embedkit":
            assert _part(module) in RANK, f"{path}: part {_part(module)!r} is missing from RANK"


def test_parts_depend_one_way():
    upward = []
    for path, module, is_package in _modules():
        if module == "embedkit":            # the top-level __init__ re-exports every part
            continue
        source = _part(module)
        for line, target in _imports(path, module, is_package):
            if target == "embedkit" or _part(target) == source:
                continue
            if RANK[_part(target)] > RANK[source] or (RANK[_part(target)] == RANK[source] and RANK[source] > 0):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({source}) imports {target}")
    assert not upward, "imports that run against the course order:\n" + "\n".join(upward)


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The rule above is not vacuous: a text module importing the search part is caught."""
    fake = tmp_path / "embedkit" / "text" / "leak.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from ..search.flat import FlatIndex\n    return FlatIndex\n")
    found = list(_imports(fake, "embedkit.text.leak", False))
    assert found == [(2, "embedkit.search.flat")]
    assert RANK[_part(found[0][1])] > RANK["text"]


@pytest.mark.parametrize("part", PARTS + ("datasets",))
def test_each_part_says_what_it_teaches(part):
    doc = (importlib.import_module(f"embedkit.{part}").__doc__ or "").strip()
    assert len(doc.split()) >= 25, f"embedkit.{part} needs a docstring: what the part teaches"
    assert "notebook" in doc.lower(), f"embedkit.{part}'s docstring should name the notebooks that use it"


@pytest.mark.parametrize("part", PARTS)
def test_tests_mirror_the_layout(part):
    modules = {p.stem for p in (PACKAGE / part).glob("*.py") if p.stem != "__init__"}
    tests = {p.stem.removeprefix("test_") for p in (ROOT / "tests" / part).glob("test_*.py")}
    assert modules <= tests, f"modules of embedkit.{part} without tests/{part}/test_<module>.py: " \
                             f"{sorted(modules - tests)}"


def test_the_top_level_api_is_unchanged_by_the_layout():
    """COURSE.md's public names stay importable as ek.<name>."""
    contract = """cosine dot hamming l1 l2 normalize pairwise top_k WordVectors train_word2vec
        train_glove kmeans ProductQuantizer ScalarQuantizer BinaryQuantizer FlatIndex IVFIndex
        PQIndex IVFPQIndex HNSWIndex LSHIndex recall_at_k mrr ndcg_at_k""".split()
    missing = [name for name in contract if not hasattr(embedkit, name)]
    assert not missing, missing
