"""The course notebooks as data: headings and their anchors, takeaways, interview questions.

Used by notebook 21 (interview revision: every lesson's questions in one place, each
linked back to the notebook that answers it, and its self-test mode :class:`SelfTest`), by
``make cheatsheet`` (``tools/build_cheatsheet.py``: every lesson's **Key takeaways** on one
HTML page), by ``make flashcards`` (``tools/build_flashcards.py``: every question as an Anki
card), and by
the tests that check every link in the course resolves to a real heading.

Conventions it relies on (tested in ``tests/test_course_layout.py``):

* a lesson's key takeaways are one markdown cell tagged ``takeaway`` that starts with
  ``## Key takeaways``;
* its interview questions are a markdown cell starting with ``## Interview questions``:
  a numbered list of bold questions, then a ``<details>`` block with the numbered answers;
* the interview-revision notebook answers each seed-note question in a markdown cell of
  its own, headed ``### SNN · the question``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["course_root", "lesson_notebooks", "heading_anchor", "headings", "takeaways",
           "interview_questions", "InterviewQuestion", "notebook_title", "section_links",
           "Card", "quiz_cards", "SelfTest", "seed_questions"]

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def course_root() -> Path:
    """The repository root (the folder holding ``notebooks/``) of an editable install."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "notebooks").is_dir():
        raise FileNotFoundError(
            f"no notebooks/ folder next to the embedkit package (looked in {root}); "
            "embedkit.course works in a clone of the course installed with `make setup`")
    return root


def lesson_notebooks(folder: str | Path = "notebooks") -> list[Path]:
    """The course's notebooks in order (``NN_name.ipynb``), from ``folder``."""
    folder = Path(folder)
    if not folder.is_absolute():
        folder = course_root() / folder
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def _read(path):
    import nbformat

    return nbformat.read(Path(path), as_version=4)


def heading_anchor(text: str) -> str:
    """The anchor JupyterLab gives a markdown heading: its rendered text, spaces as ``-``.

    JupyterLab takes the heading's *rendered* text (so ``code`` loses its backticks,
    ``**bold**`` its stars, ``[a link](url)`` keeps only "a link") and replaces each space
    with ``-``; other characters (``·``, ``?``, digits, case) stay. Headings with ``$math$``
    render through MathJax and get unpredictable anchors: don't link to those.
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\*\*([^*]*)\*\*", r"\1", text)
    return text.strip().replace(" ", "-")


# [text](target) where target may hold one level of balanced parentheses, as CommonMark
# allows: "#Correcting-...-cos(A,-C)-is-not-1".
_LINK = re.compile(r"\]\(((?:[^()\s]|\([^()\s]*\))*)\)")


def section_links(markdown: str) -> list[tuple[str, str]]:
    """``(file, anchor)`` for every local link with an anchor (``x.ipynb#a`` or ``#a``)."""
    out = []
    for url in _LINK.findall(markdown):
        if re.match(r"^[a-z]+:", url) or "#" not in url:
            continue
        target, _, anchor = url.partition("#")
        out.append((target, anchor))
    return out


def headings(path) -> list[tuple[int, str, str]]:
    """``(level, text, anchor)`` for every markdown heading of a notebook, in order."""
    out = []
    for cell in _read(path).cells:
        if cell.cell_type != "markdown":
            continue
        source = _FENCE.sub("", cell.source)      # "# comment" lines in code fences are not headings
        for hashes, text in _HEADING.findall(source):
            out.append((len(hashes), text, heading_anchor(text)))
    return out


def notebook_title(path) -> str:
    """The text of the notebook's first level-1 heading (e.g. ``"14 · Product quantization"``)."""
    for level, text, _ in headings(path):
        if level == 1:
            return text
    raise ValueError(f"{Path(path).name} has no '# title' heading")


def takeaways(path) -> str:
    """The markdown body of the ``takeaway``-tagged cell(s), without their heading."""
    parts = []
    for cell in _read(path).cells:
        if cell.cell_type == "markdown" and "takeaway" in cell.metadata.get("tags", []):
            body = re.sub(r"^##\s+Key takeaways\s*\n", "", cell.source.strip() + "\n", count=1)
            parts.append(body.strip())
    return "\n\n".join(parts)


@dataclass(frozen=True)
class InterviewQuestion:
    """One interview question of a lesson and its answer (both markdown)."""

    notebook: str       # file name, e.g. "14_product_quantization.ipynb"
    number: int
    question: str
    answer: str
    anchor: str = ""    # the heading it sits under, as a link anchor ("Interview-questions")
    kind: str = "lesson"    # "lesson": a lesson's own question; "seed": a seed-note question


def _numbered_items(text: str) -> dict[int, str]:
    """``{n: item text}`` for a markdown numbered list (items may span indented lines)."""
    items: dict[int, str] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^(\d+)\.\s+(.*)$", line)
        if m:
            current = int(m.group(1))
            items[current] = m.group(2)
        elif current is not None and (line.startswith("   ") or not line.strip()):
            items[current] += "\n" + line.strip()
        else:
            current = None
    return {k: v.strip() for k, v in items.items()}


def _strip_details(text: str) -> str:
    return re.sub(r"<summary>.*?</summary>", "", text, flags=re.S).replace("<details>", "").replace(
        "</details>", "").strip()


def interview_questions(path) -> list[InterviewQuestion]:
    """The questions and answers of a lesson's ``## Interview questions`` cell.

    Two layouts are understood: all questions first and one ``<details>`` block of
    numbered answers after them, or a ``<details>`` answer inside each numbered question.
    """
    path = Path(path)
    for cell in _read(path).cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Interview questions"):
            head, _, rest = cell.source.partition("<details>")
            shared = re.match(r"\s*<summary>[^<]*</summary>\s*1\.", rest) is not None
            if shared:     # layout 1: one answers block
                answers = _numbered_items(_strip_details(rest.split("</details>")[0]))
                questions = _numbered_items(head)
            else:          # layout 2: an answer inside each item
                questions, answers = {}, {}
                for n, item in _numbered_items(cell.source).items():
                    q, _, a = item.partition("<details>")
                    questions[n], answers[n] = q, _strip_details(a)
            return [
                InterviewQuestion(path.name, n, re.sub(r"\s+", " ", q.replace("**", "")).strip(),
                                  answers.get(n, ""), anchor="Interview-questions")
                for n, q in sorted(questions.items())
            ]
    return []


# Notebook 21's sections: "### S05 · question" (a seed-note question), "### R03 · question"
# (a retrieval-practice question, lesson 19) or "### M03 · claim" (a myth).
_REVISION_HEADING = re.compile(r"^###\s+([SRM])(\d\d)\s+·\s+(.+?)\s*$")


def _revision_sections(path: Path):
    """Yield ``(kind, number, title, answer, anchor)`` for each S/R/M section of notebook 21."""
    for cell in _read(path).cells:
        if cell.cell_type != "markdown" or not cell.source:
            continue
        first, _, body = cell.source.partition("\n")
        m = _REVISION_HEADING.match(first.strip())
        if m:
            yield m.group(1), int(m.group(2)), m.group(3), body.strip(), heading_anchor(first.lstrip("#").strip())


def seed_questions(path=None) -> list[InterviewQuestion]:
    """The seed-note questions the interview-revision notebook answers, in order.

    Each is a markdown cell headed ``### SNN · question``; the rest of the cell is the
    answer, ending with its **Where the course shows it:** links. ``number`` is NN,
    ``anchor`` the heading's anchor, ``kind`` is ``"seed"``. ``path`` defaults to the
    course's ``NN_interview_revision.ipynb``.
    """
    if path is None:
        found = [p for p in lesson_notebooks() if p.name.endswith("_interview_revision.ipynb")]
        if not found:
            raise FileNotFoundError("no notebooks/NN_interview_revision.ipynb in the course")
        path = found[0]
    path = Path(path)
    return [InterviewQuestion(path.name, number, title, body, anchor=anchor, kind="seed")
            for kind, number, title, body, anchor in _revision_sections(path) if kind == "S"]


# -- the self-test mode of notebook 21 -------------------------------------------------------
# Questions drawn at random (seeded), the answer shown only on demand, a score kept:
#
#     quiz = SelfTest(seed=21)
#     quiz.ask(); quiz.reveal(); quiz.mark(True); quiz.score()
#
# The cards are every lesson's interview questions plus notebook 21's answers to the
# seed-note questions (S01...), its retrieval questions (R01...) and its myths (M01...:
# "what is wrong with this claim?").
# In Jupyter, questions and answers render as markdown; elsewhere they are printed.


@dataclass(frozen=True)
class Card:
    """One question of the quiz, its answer (markdown) and where it comes from."""

    source: str       # e.g. "14 · Product quantization (PQ), IVF-PQ and OPQ, question 2" or "21 · S05"
    question: str
    answer: str
    link: str         # a notebook link with an anchor, relative to notebooks/


def _revision_cards(path: Path) -> list[Card]:
    """Notebook 21's seed-note answers (S..), retrieval questions (R..) and myths (M..) as cards."""
    out = []
    for kind, number, title, body, anchor in _revision_sections(path):
        question = (title if kind in "SR" else
                    f"A confident claim: \u201c{title}\u201d. What is wrong with it, and how would you show it?")
        out.append(Card(f"21 · {kind}{number:02d}", question, body, f"{path.name}#{anchor}"))
    return out


def quiz_cards(folder: str | Path = "notebooks", *, include_revision: bool = True) -> list[Card]:
    """Every quiz card: each lesson's interview questions, then notebook 21's sections."""
    out = []
    for path in lesson_notebooks(folder):
        if path.name[:2] in ("00", "21"):
            continue
        title = notebook_title(path)
        for q in interview_questions(path):
            out.append(Card(f"{title}, question {q.number}", q.question, q.answer,
                            f"{path.name}#Interview-questions"))
    if include_revision:
        for path in lesson_notebooks(folder):
            if path.name[:2] == "21":
                out.extend(_revision_cards(path))
    return out


def _show(markdown: str) -> None:
    """Markdown in a notebook (rendered math and links), plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:                                      # pragma: no cover - IPython ships with the course
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(markdown))
    else:
        print(markdown)


class SelfTest:
    """A seeded quiz over the course's interview questions.

    Args:
        seed: the shuffle's seed (an int or a ``numpy.random.Generator``).
        folder: where the notebooks are (default: the course's ``notebooks/``).
        include_revision: also ask notebook 21's seed-note questions and myths.
    """

    def __init__(self, seed=0, *, folder: str | Path = "notebooks", include_revision: bool = True):
        self.cards = quiz_cards(folder, include_revision=include_revision)
        if not self.cards:
            raise ValueError(f"no interview questions found in {folder!s}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.order = [int(i) for i in rng.permutation(len(self.cards))]
        self.position = -1                 # index into order of the current question
        self.marks: dict[int, bool] = {}   # card index -> answered correctly
        self.revealed: set[int] = set()

    def __len__(self) -> int:
        return len(self.cards)

    @property
    def current(self) -> Card | None:
        return self.cards[self.order[self.position]] if self.position >= 0 else None

    def ask(self) -> Card | None:
        """Show the next question (not its answer)."""
        if self.position + 1 >= len(self.order):
            _show(f"All {len(self)} questions asked. `quiz.score()` sums up; a new seed gives a new order.")
            return None
        self.position += 1
        card = self.current
        _show(f"**Question {self.position + 1} of {len(self)}** ({card.source})\n\n{card.question}\n\n"
              "*Answer it first, then `quiz.reveal()`.*")
        return card

    def reveal(self) -> None:
        """Show the current question's model answer and where the course shows it."""
        card = self.current
        if card is None:
            _show("No question yet: `quiz.ask()` first.")
            return
        self.revealed.add(self.order[self.position])
        _show(f"**Answer** ({card.source}):\n\n{card.answer}\n\n[Read it in the course]({card.link})\n\n"
              "*Was yours right? `quiz.mark(True)` or `quiz.mark(False)`.*")

    def mark(self, correct: bool) -> None:
        """Record whether your answer to the current question was right (marking again replaces it)."""
        if self.current is None:
            _show("No question yet: `quiz.ask()` first.")
            return
        if not isinstance(correct, (bool, np.bool_)):
            raise TypeError(f"correct must be True or False, got {correct!r}")
        self.marks[self.order[self.position]] = bool(correct)

    def score(self) -> tuple[int, int]:
        """Print and return ``(correct, marked)``, with links to the questions missed."""
        right = sum(self.marks.values())
        lines = [f"Score: {right} of {len(self.marks)} marked answers correct"
                 + (f" ({right / len(self.marks):.0%})." if self.marks else ".")]
        missed = [self.cards[i] for i, ok in self.marks.items() if not ok]
        if missed:
            lines.append("Revisit: " + "; ".join(f"[{c.source}]({c.link})" for c in missed))
        print("\n".join(lines))
        return right, len(self.marks)
