"""Notebook 21 answers every seed-note question, each with a link to a real section.

The seed notes (the texts the course grew from, kept outside the repository) hold 26
questions: 22 numbered interview questions in one note ("## 1. ..."), one "Q)" in the
k-means note, and the first lesson's questions ("Question: ..." and "how about the cosine
similarity for B and E"). ``SEED_QUESTIONS`` maps each to its answer's id in notebook 21.
When the notes are available (``$EMBEDKIT_SEEDS`` or ``../shared/seeds`` next to the
repository), the test also re-reads them, so a question added to the notes without an
answer fails.
"""
import os
import re
from pathlib import Path

import nbformat
import pytest

from embedkit import course

ROOT = Path(__file__).resolve().parent.parent
NB21 = ROOT / "notebooks" / "21_interview_revision.ipynb"

# seed note -> answer id. Keys: (note file prefix, question locator).
SEED_QUESTIONS = {("001", str(n)): f"S{n:02d}" for n in range(1, 23)}
SEED_QUESTIONS[("000", "Q)")] = "S23"
SEED_QUESTIONS[("002", "Which material is LARGER")] = "S24"
SEED_QUESTIONS[("002", "compare the vector forms")] = "S25"
SEED_QUESTIONS[("002", "How do we compare two tokens")] = "S26"
SEED_QUESTIONS[("002", "can we apply them to words and tokens")] = "S26"  # answered together
# (the cosine of B and E, asked in the same note, is answered inside S25)


def _sections(path):
    """{heading id prefix: (heading, body)} for the ### sections of notebook 21."""
    out, current = {}, None
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        m = re.match(r"^###\s+([SM]\d\d) · (.+)$", cell.source.splitlines()[0]) if cell.source else None
        if m:
            current = m.group(1)
            out[current] = (m.group(2), "\n".join(cell.source.splitlines()[1:]))
    return out


SECTIONS = _sections(NB21)


@pytest.mark.parametrize("answer_id", sorted(set(SEED_QUESTIONS.values())))
def test_every_seed_question_is_answered_with_a_resolving_link(answer_id):
    assert answer_id in SECTIONS, f"notebook 21 has no section '### {answer_id} · ...'"
    title, body = SECTIONS[answer_id]
    answer = body.split("**Where the course shows it:**")[0]
    assert len(answer.split()) >= 40, f"{answer_id}: the answer is too short to be an answer"
    proof = body.split("**Where the course shows it:**")[-1]
    links = course.section_links(proof)
    assert links, f"{answer_id}: no link to the notebook section that shows it"
    assert len(links) == len(re.findall(r"\]\(", proof)), f"{answer_id}: every link needs a #section"
    for target, anchor in links:
        target_path = NB21 if not target else NB21.parent / target
        assert target_path.exists(), f"{answer_id}: {target} does not exist"
        anchors = {a for _, _, a in course.headings(target_path)}
        assert anchor in anchors, f"{answer_id}: {target_path.name} has no heading #{anchor}"


def test_every_myth_has_a_correction_and_a_measurement():
    myths = {k: v for k, v in SECTIONS.items() if k.startswith("M")}
    assert len(myths) >= 10
    for mid, (claim, body) in myths.items():
        assert "**Corrected:**" in body and "**Measured:**" in body, mid
        links = course.section_links(body)
        assert links and all(t for t, _ in links), f"{mid}: no link to a notebook section"
        for target, anchor in links:
            assert anchor in {a for _, _, a in course.headings(NB21.parent / target)}, f"{mid}: #{anchor}"


def _seed_dir():
    env = os.environ.get("EMBEDKIT_SEEDS")
    return Path(env) if env else ROOT.parent / "shared" / "seeds"


@pytest.mark.skipif(not _seed_dir().is_dir(), reason="the seed notes are not next to this clone")
def test_registry_covers_every_question_in_the_seed_notes():
    found = set()
    for path in sorted(_seed_dir().glob("*.txt")):
        prefix = path.name[:3]
        text = path.read_text(encoding="utf-8", errors="replace")
        for n in re.findall(r"^## (\d+)\. ", text, flags=re.M):
            found.add((prefix, n))
        if re.search(r"^\s*Q\) ", text, flags=re.M):
            found.add((prefix, "Q)"))
        # "$$\text{Question: ...?}$$", possibly continued over several \text{...} lines
        for q in re.findall(r"\\text\{\s*Question[^:]*:(.*?\?)", text, flags=re.S):
            q = " ".join(re.sub(r"\\text\{|\}|\$", " ", q).split())
            locator = next((loc for (p, loc) in SEED_QUESTIONS if p == prefix and loc in q), None)
            assert locator, f"{path.name}: question {q!r} has no entry in SEED_QUESTIONS"
            found.add((prefix, locator))
    missing = found - set(SEED_QUESTIONS)
    assert not missing, f"seed questions without an answer id: {sorted(missing)}"
    assert len(found) >= 26
