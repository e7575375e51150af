"""The course notebooks as data: headings and their anchors, takeaways, interview questions.

Used by notebook 21 (interview revision: every lesson's questions in one place, each
linked back to the notebook that answers it) and by ``make cheatsheet``
(``tools/build_cheatsheet.py``: every lesson's **Key takeaways** on one HTML page), by
``make flashcards`` (``tools/build_flashcards.py``: every question as an Anki card), and by
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

__all__ = ["course_root", "lesson_notebooks", "heading_anchor", "headings", "takeaways",
           "interview_questions", "InterviewQuestion", "notebook_title", "section_links",
           "seed_questions"]

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


_SEED_HEADING = re.compile(r"^###\s+S(\d\d) · (.+?)\s*$")


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
    out = []
    for cell in _read(path).cells:
        first, _, body = cell.source.partition("\n")
        m = _SEED_HEADING.match(first) if cell.cell_type == "markdown" else None
        if m:
            out.append(InterviewQuestion(path.name, int(m.group(1)), m.group(2), body.strip(),
                                         anchor=heading_anchor(first.lstrip("#").strip()), kind="seed"))
    return out
