"""Notebook 21's retrieval questions (R01-R08) are answered, each linking to real sections."""
import re
from pathlib import Path

import nbformat
import pytest

from embedkit import course

ROOT = Path(__file__).resolve().parents[2]
NB21 = ROOT / "notebooks" / "21_interview_revision.ipynb"


def _r_sections():
    out = {}
    for cell in nbformat.read(NB21, as_version=4).cells:
        m = re.match(r"^###\s+(R\d\d) · (.+)$", cell.source.splitlines()[0]) if cell.source else None
        if cell.cell_type == "markdown" and m:
            out[m.group(1)] = "\n".join(cell.source.splitlines()[1:])
    return out


SECTIONS = _r_sections()


def test_there_are_eight():
    assert sorted(SECTIONS) == [f"R{i:02d}" for i in range(1, 9)]


@pytest.mark.parametrize("rid", sorted(SECTIONS))
def test_answered_with_links_into_lesson_19(rid):
    body = SECTIONS[rid]
    answer, proof = body.split("**Where the course shows it:**")
    assert len(answer.split()) >= 60, rid
    links = course.section_links(proof)
    assert links and len(links) == len(re.findall(r"\]\(", proof)), rid
    assert any(t.startswith("19_") for t, _ in links) or rid == "R07", f"{rid} should link into lesson 19"
    for target, anchor in links:
        anchors = {a for _, _, a in course.headings(NB21.parent / target)}
        assert anchor in anchors, f"{rid}: {target} has no heading #{anchor}"
