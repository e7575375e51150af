"""`make flashcards` (tools/build_flashcards.py): one Anki card per interview question.

The deck is read back from the .apkg (a zip holding Anki's SQLite collection), so these
tests see what Anki imports.
"""
import csv
import json
import re
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest

from embedkit import course

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.build_flashcards import build, markdown_renderer  # noqa: E402

SITE = "https://example.org/embedkit"


def _read_deck(path: Path):
    """The notes of an .apkg: [(guid, fields, tags)], and the number of cards."""
    with zipfile.ZipFile(path) as z, z.open("collection.anki2") as src:
        db = path.parent / "collection.anki2"
        db.write_bytes(src.read())
    con = sqlite3.connect(db)
    try:
        notes = [(guid, flds.split("\x1f"), tags.split())
                 for guid, flds, tags in con.execute("select guid, flds, tags from notes order by id")]
        cards = con.execute("select count(*) from cards").fetchone()[0]
        decks = json.loads(con.execute("select decks from col").fetchone()[0])
    finally:
        con.close()
    return notes, cards, decks


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("cards")
    apkg, table, n = build(out, SITE)
    notes, cards, decks = _read_deck(apkg)
    return {"n": n, "notes": notes, "cards": cards, "decks": decks, "csv": table}


def _seed_headings() -> int:
    """Seed-question sections of notebook 21, counted from the raw file (not via course)."""
    raw = json.loads((ROOT / "notebooks" / "21_interview_revision.ipynb").read_text(encoding="utf-8"))
    return sum(bool(re.match(r"### S\d\d · ", "".join(c["source"])))
               for c in raw["cells"] if c["cell_type"] == "markdown")


def test_one_card_per_question_that_embedkit_course_finds(deck):
    lessons = course.lesson_notebooks()
    expected = sum(len(course.interview_questions(p)) for p in lessons) + len(course.seed_questions())
    assert len(course.seed_questions()) == _seed_headings() >= 26
    assert deck["cards"] == len(deck["notes"]) == deck["n"] == expected
    assert len({guid for guid, _, _ in deck["notes"]}) == expected
    assert any(d["name"].startswith("embedkit") for d in deck["decks"].values())


def test_cards_are_tagged_by_lesson_and_kind(deck):
    lessons = {p.stem for p in course.lesson_notebooks()}
    for _, fields, tags in deck["notes"]:
        lesson_tags = [t for t in tags if t.removeprefix("embedkit::") in lessons]
        assert len(lesson_tags) == 1, tags
        assert ("embedkit::lesson" in tags) != ("embedkit::seed" in tags), tags
    seeds = [n for n in deck["notes"] if "embedkit::seed" in n[2]]
    assert len(seeds) == len(course.seed_questions())


def test_math_code_and_links_survive(deck):
    fields = [f for _, f, _ in deck["notes"]]
    answers = " ".join(f[1] for f in fields)
    assert r"\(" in answers and "$" not in re.sub(r"<code>.*?</code>", "", answers, flags=re.S)
    assert "<code>" in answers
    for question, answer, lesson, source in fields:
        assert question.strip() and answer.strip() and lesson.strip()
        href = re.search(r'href="([^"]+)"', source).group(1)
        assert href.startswith(f"{SITE}/notebooks/") and "#" in href, href
    # links inside answers point at the site's pages, never at .ipynb files
    hrefs = re.findall(r'href="([^"]+)"', answers)
    assert hrefs and not [h for h in hrefs if ".ipynb" in h]


def test_seed_cards_link_to_their_answer_in_notebook_21(deck):
    seeds = [f for _, f, tags in deck["notes"] if "embedkit::seed" in tags]
    first = course.seed_questions()[0]
    assert first.anchor.startswith("S01-·-")
    assert "21_interview_revision.html#S01-%C2%B7-" in seeds[0][3]


def test_csv_holds_the_same_cards_in_markdown(deck):
    with open(deck["csv"], encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == deck["n"]
    assert set(rows[0]) == {"id", "lesson", "question", "answer", "link", "tags"}
    assert any("$" in r["answer"] for r in rows)           # math kept as written
    assert len({r["id"] for r in rows}) == len(rows)


def test_rebuilding_keeps_note_ids(deck, tmp_path):
    apkg, _, _ = build(tmp_path, SITE)
    again, _, _ = _read_deck(apkg)
    assert [g for g, _, _ in again] == [g for g, _, _ in deck["notes"]]


def test_markdown_renderer():
    render = markdown_renderer(SITE)
    out = render("See [04: 3. Negative](04_word2vec.ipynb#3.-Negative-sampling) and $a<b$, "
                 "`x[i]`, [web](https://example.com/#x).\n\n$$\\lVert a\\rVert$$")
    assert f'href="{SITE}/notebooks/04_word2vec.html#3.-Negative-sampling"' in out
    assert r"\(a&lt;b\)" in out and r"\[\lVert a\rVert\]" in out
    assert "<code>x[i]</code>" in out and 'href="https://example.com/#x"' in out
