"""No leftover placeholder in any stored notebook (lessons, exercises, solutions).

A notebook once showed the literal template slot ``BENCHTABLE`` where a table of results
belonged. This scans every cell's source *and* its stored outputs for the markers that
such leftovers use: an upper-case slot name alone on a markdown line, TODO / FIXME / XXX /
TBD, template braces, "lorem ipsum", "insert ... here", a bracketed "placeholder", and, in
the lessons and solutions, an exercise stub line (``# YOUR CODE HERE``) in a code cell.
The exercise notebooks are allowed their stub lines, and prose may *talk about*
placeholders ("a check reports *not yet* while the answer is still a placeholder").
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for folder in ("notebooks", "exercises", "solutions")
                   for p in (ROOT / folder).glob("*.ipynb"))

MARKERS = [
    ("an upper-case template slot alone on a line", re.compile(r"^[ \t]*[A-Z][A-Z0-9_]{5,}[ \t]*$", re.M),
     "markdown"),
    ("a TODO / FIXME / XXX / TBD marker", re.compile(r"\b(?:TODO|FIXME|XXX|TBD)\b"), "all"),
    ("template braces", re.compile(r"\{\{[^{}\n]*\}\}"), "markdown"),
    ("lorem ipsum", re.compile(r"lorem ipsum", re.I), "all"),
    ("'insert ... here'", re.compile(r"\binsert\b[^.\n]{0,40}\bhere\b", re.I), "markdown"),
    ("a bracketed placeholder", re.compile(r"[\[<{(]\s*placeholder\s*[\]>})]", re.I), "all"),
    ("an upper-case PLACEHOLDER", re.compile(r"\bPLACEHOLDER\b"), "all"),
]
STUB_LINE = re.compile(r"^\s*#\s*YOUR CODE HERE\s*$", re.M)


def _texts(cell: dict):
    """(kind, text) for the cell's source and each of its stored text outputs."""
    kind = cell["cell_type"]
    yield kind, "".join(cell.get("source", ""))
    for out in cell.get("outputs", []):
        text = out.get("text") or out.get("data", {}).get("text/plain", "")
        yield "output", "".join(text) if isinstance(text, list) else text
        if "text/markdown" in out.get("data", {}):
            yield "markdown", "".join(out["data"]["text/markdown"])


def find_placeholders(path: Path) -> list[str]:
    """Every leftover marker in the notebook at ``path``, as readable strings."""
    found = []
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        for kind, text in _texts(cell):
            for what, pattern, where in MARKERS:
                if where == "markdown" and kind != "markdown":
                    continue
                for m in pattern.finditer(text):
                    found.append(f"cell {number} ({kind}): {what}: {m.group(0).strip()!r}")
            if kind == "code" and path.parent.name != "exercises" and STUB_LINE.search(text):
                found.append(f"cell {number}: an exercise stub line in a finished notebook")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_leftover_placeholders(path):
    assert find_placeholders(path) == []


def test_the_scan_finds_what_it_is_for(tmp_path):
    """The markers that must be caught, and prose that must not be."""
    cells = [
        {"cell_type": "markdown", "source": "The full-corpus figures:\n\nBENCHTABLE\n\nmore text"},
        {"cell_type": "markdown", "source": "TODO: write this section"},
        {"cell_type": "markdown", "source": "Results: {{ table }}"},
        {"cell_type": "markdown", "source": "Insert the figure here."},
        {"cell_type": "code", "source": "x = 1", "outputs": [{"output_type": "stream", "text": "[placeholder]"}]},
        {"cell_type": "code", "source": "# YOUR CODE HERE\nx = ...", "outputs": []},
        {"cell_type": "markdown", "source": "A check says *not yet* while the answer is still a placeholder."},
        {"cell_type": "markdown", "source": "## A heading\n\nWordSim-353 and SimLex-999 (GloVe, PPMI)."},
    ]
    path = tmp_path / "notebooks" / "99_x.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    found = find_placeholders(path)
    assert [f.split(" ", 2)[1] for f in found] == ["0", "1", "2", "3", "4", "5:"]
