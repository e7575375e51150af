"""embedkit.course (the notebooks as data) and the links between notebooks."""
import re
from pathlib import Path

import nbformat
import pytest

from embedkit import course

ROOT = Path(__file__).resolve().parent.parent
LESSONS = course.lesson_notebooks()


def test_heading_anchor_follows_jupyterlab():
    assert course.heading_anchor("6. Filtering by metadata") == "6.-Filtering-by-metadata"
    assert course.heading_anchor("4. The `top_k` function") == "4.-The-top_k-function"
    assert course.heading_anchor("A **bold** [link](x.ipynb)") == "A-bold-link"
    assert course.heading_anchor("14 · PQ") == "14-·-PQ"


def test_section_links_handle_parentheses_and_skip_urls():
    md = ("[a](01_x.ipynb#3.-Cosine) [b](#cos(A,-C)-is-1) [c](https://x.org/#y) "
          "[d](02_y.ipynb) [e](03_z.ipynb#7.4-Lipstick-(G-&-G,-2019))")
    assert course.section_links(md) == [("01_x.ipynb", "3.-Cosine"), ("", "cos(A,-C)-is-1"),
                                        ("03_z.ipynb", "7.4-Lipstick-(G-&-G,-2019)")]


def test_parsing_a_small_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 42 · Title\n\n## 1. First `part`"),
        nbformat.v4.new_code_cell("# not a heading"),
        nbformat.v4.new_markdown_cell("## Key takeaways\n\n- one\n- two"),
        nbformat.v4.new_markdown_cell(
            "## Interview questions\n\n1. **Why?**\n2. **How, on two\n   lines?**\n\n"
            "<details>\n<summary>Answers</summary>\n\n1. Because.\n2. Like this,\n   and this.\n\n</details>"),
    ])
    nb.cells[2].metadata["tags"] = ["takeaway"]
    path = tmp_path / "42_title.ipynb"
    nbformat.write(nb, path)
    assert course.headings(path) == [(1, "42 · Title", "42-·-Title"), (2, "1. First `part`", "1.-First-part"),
                                     (2, "Key takeaways", "Key-takeaways"),
                                     (2, "Interview questions", "Interview-questions")]
    assert course.notebook_title(path) == "42 · Title"
    assert course.takeaways(path) == "- one\n- two"
    qs = course.interview_questions(path)
    assert [(q.number, q.question, q.answer) for q in qs] == [
        (1, "Why?", "Because."), (2, "How, on two lines?", "Like this,\nand this.")]


@pytest.mark.parametrize("path", LESSONS[1:], ids=lambda p: p.stem)
def test_every_lesson_has_answered_interview_questions(path):
    qs = course.interview_questions(path)
    assert 3 <= len(qs) <= 8, f"{path.name}: {len(qs)} interview questions"
    assert all(q.answer for q in qs), f"{path.name}: a question without an answer"


NOTEBOOK_DIRS = ["notebooks", "solutions", "exercises"]
ALL = [p for d in NOTEBOOK_DIRS for p in sorted((ROOT / d).glob("*.ipynb"))]


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_links_to_notebook_sections_resolve(path):
    """Every markdown link `file.ipynb#anchor` (or `#anchor`) lands on a real heading."""
    anchors_of = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for target, anchor in course.section_links(cell.source):
            target_path = (path.parent / target).resolve() if target else path
            assert target_path.exists(), f"{path.name}: link to missing {target}"
            if target_path not in anchors_of:
                anchors_of[target_path] = {a for _, _, a in course.headings(target_path)}
            assert anchor in anchors_of[target_path], (
                f"{path.name}: no heading with anchor #{anchor} in {target_path.name}")


# -- notebook 21's self-test mode -------------------------------------------------------------
def test_self_test_draws_every_question_in_a_seeded_order(capsys):
    from embedkit import course

    all_cards = course.quiz_cards()
    lessons = [p for p in course.lesson_notebooks() if p.name[:2] not in ("00", "21")]
    assert len([c for c in all_cards if not c.source.startswith("21 ")]) == \
        sum(len(course.interview_questions(p)) for p in lessons)
    assert {"21 · S01", "21 · R01", "21 · M01"} <= {c.source for c in all_cards}
    r01 = next(c for c in all_cards if c.source == "21 · R01")
    assert r01.question.startswith("Hybrid or dense retrieval") and "19_retrieval_in_practice" in r01.answer
    assert all(c.question and c.answer and "#" in c.link for c in all_cards)
    a, b, c = course.SelfTest(seed=3), course.SelfTest(seed=3), course.SelfTest(seed=4)
    assert a.order == b.order != c.order and sorted(a.order) == list(range(len(all_cards)))

    quiz = course.SelfTest(seed=3)
    quiz.reveal()
    quiz.mark(True)
    assert quiz.marks == {} and "`quiz.ask()` first" in capsys.readouterr().out
    first = quiz.ask()
    out = capsys.readouterr().out
    assert first.question in out and first.answer not in out              # the answer waits
    quiz.reveal()
    assert first.answer in capsys.readouterr().out
    quiz.mark(True)
    second = quiz.ask()
    quiz.mark(False)
    capsys.readouterr()
    assert quiz.score() == (1, 2)
    out = capsys.readouterr().out
    assert "Score: 1 of 2 marked answers correct (50%)." in out and second.source in out
    with pytest.raises(TypeError, match="True or False"):
        quiz.mark("yes")


def test_seed_questions_are_the_revision_notebooks_sections(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 21 · Revision\n\n## Part 1"),
        nbformat.v4.new_markdown_cell("### S01 · What is `x`?\n\nAn answer.\n\n"
                                      "**Where the course shows it:** [01: 1. X](01_x.ipynb#1.-X)"),
        nbformat.v4.new_markdown_cell("### M01 · a myth, not a question\n\n**Corrected:** no."),
        nbformat.v4.new_markdown_cell("### S02 · Why?\n\nBecause."),
    ])
    path = tmp_path / "21_interview_revision.ipynb"
    nbformat.write(nb, path)
    qs = course.seed_questions(path)
    assert [(q.number, q.question, q.kind) for q in qs] == [(1, "What is `x`?", "seed"), (2, "Why?", "seed")]
    assert qs[0].anchor == "S01-·-What-is-x?" and qs[0].answer.startswith("An answer.")
    assert "(01_x.ipynb#1.-X)" in qs[0].answer


def test_the_course_seed_questions_and_lesson_question_anchors():
    seeds = course.seed_questions()
    assert [q.number for q in seeds] == list(range(1, len(seeds) + 1)) and len(seeds) >= 26
    nb21 = ROOT / "notebooks" / "21_interview_revision.ipynb"
    anchors = {a for _, _, a in course.headings(nb21)}
    assert all(q.anchor in anchors for q in seeds)
    for path in LESSONS:
        for q in course.interview_questions(path):
            assert q.kind == "lesson" and q.anchor in {a for _, _, a in course.headings(path)}
