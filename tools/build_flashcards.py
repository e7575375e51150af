"""Interview flashcards: every question of the course as an Anki deck and a CSV.

    python tools/build_flashcards.py          # build/flashcards/embedkit.apkg and .csv
    python tools/build_flashcards.py --site-url https://example.org/embedkit/

One card per question, read through ``embedkit.course``: every lesson's **Interview
questions** (``course.interview_questions``) and every seed-note question answered in the
interview-revision notebook (``course.seed_questions``). Each card keeps the answer's math
(as ``\\(...\\)`` / ``\\[...\\]``, which Anki typesets with its own MathJax; a formula
written over several lines is joined onto one, ``tools/lab_markdown.py``) and code, and
links to the section that proves it on the course website (``make site``; by default the
local copy in ``build/site``, or ``--site-url`` where the site is published). Cards are
tagged by lesson (``embedkit::04_word2vec``) and by kind (``embedkit::lesson`` or
``embedkit::seed``). Note ids are derived from the question's place in the course, so
re-importing an updated deck updates the cards instead of duplicating them.

The CSV holds the same cards in Markdown (question, answer, lesson, link, tags) for other
spaced-repetition tools.
"""
from __future__ import annotations

import argparse
import csv
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from embedkit import course  # noqa: E402
from tools.lab_markdown import portable  # noqa: E402

# Fixed ids: Anki recognises the deck and note type across rebuilds by these numbers.
DECK_ID = 1_734_021_901
MODEL_ID = 1_734_021_902
DECK_NAME = "embedkit: embeddings and vector search interview questions"

_CSS = """\
.card { font-family: system-ui, sans-serif; font-size: 18px; text-align: left;
        max-width: 46em; margin: 0 auto; line-height: 1.45; }
.lesson { font-size: 13px; color: #666; margin-bottom: 0.6em; }
.question { font-weight: 600; }
code, pre { font-family: ui-monospace, monospace; font-size: 15px; background: #f3f3f3; }
pre { padding: 0.5em; overflow-x: auto; }
.source { margin-top: 1em; font-size: 14px; }
"""


@dataclass(frozen=True)
class Card:
    """One flashcard: markdown question and answer, where it comes from, where it is proved."""

    key: str            # stable id, e.g. "lesson/04_word2vec/3" or "seed/S07"
    lesson: str         # notebook title, e.g. "04 · word2vec"
    question: str       # markdown
    answer: str         # markdown
    link: str           # URL of the section on the course website
    tags: tuple[str, ...]


_FRAGMENT_SAFE = "-._~!$&'()*+,;=:@/?"


def _site_link(site_url: str, notebook: str, anchor: str) -> str:
    page = f"{site_url.rstrip('/')}/notebooks/{Path(notebook).stem}.html"
    # keep the anchor readable; quote what a URL cannot hold (spaces, quotes, "·", "#", "%")
    return f"{page}#{quote(anchor, safe=_FRAGMENT_SAFE)}" if anchor else page


def collect_cards(site_url: str, notebooks: list[Path] | None = None) -> list[Card]:
    """Every lesson's interview questions in course order; the seed-note questions after
    the interview-revision notebook's own."""
    notebooks = course.lesson_notebooks() if notebooks is None else notebooks
    cards = []
    for path in notebooks:
        title = course.notebook_title(path)
        questions = course.interview_questions(path)
        if path.name.endswith("_interview_revision.ipynb"):
            questions += course.seed_questions(path)
        for q in questions:
            key = f"lesson/{path.stem}/{q.number}" if q.kind == "lesson" else f"seed/S{q.number:02d}"
            cards.append(Card(key, title, portable(q.question), portable(q.answer),
                              _site_link(site_url, q.notebook, q.anchor),
                              (f"embedkit::{path.stem}", f"embedkit::{q.kind}")))
    return cards


def markdown_renderer(site_url: str):
    """Markdown -> HTML for a card: math kept for Anki's MathJax, notebook links made absolute."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    def math(content: str, opts: dict) -> str:
        # escaped for HTML (a "<" in a formula must not open a tag); MathJax reads the text
        content = html.escape(content, quote=False)
        return f"\\[{content}\\]" if opts.get("display_mode") else f"\\({content}\\)"

    md.use(dollarmath_plugin, allow_space=True, double_inline=True, renderer=math)

    def link_open(self, tokens, idx, options, env):
        href = tokens[idx].attrGet("href") or ""
        m = re.match(r"^(?:\.\./notebooks/|\./)?(\d\d_[a-z0-9_]+)\.ipynb(?:#(.*))?$", href)
        if m:       # a link to a lesson section: the same section on the course website
            tokens[idx].attrSet("href", _site_link(site_url, m.group(1) + ".ipynb", unquote(m.group(2) or "")))
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md.render


def write_csv(cards: list[Card], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "lesson", "question", "answer", "link", "tags"])
        for c in cards:
            writer.writerow([c.key, c.lesson, c.question, c.answer, c.link, " ".join(c.tags)])
    return path


def write_deck(cards: list[Card], path: Path, site_url: str) -> Path:
    import genanki

    render = markdown_renderer(site_url)
    model = genanki.Model(
        MODEL_ID, "embedkit interview question",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Lesson"}, {"name": "Source"}],
        templates=[{
            "name": "Question -> answer",
            "qfmt": '<div class="lesson">{{Lesson}}</div><div class="question">{{Question}}</div>',
            "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}<div class="source">{{Source}}</div>',
        }],
        css=_CSS,
    )
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    for c in cards:
        source = f'<a href="{html.escape(c.link)}">Open this section of the course: {html.escape(c.lesson)}</a>'
        deck.add_note(genanki.Note(
            model=model, fields=[render(c.question), render(c.answer), c.lesson, source],
            tags=list(c.tags), guid=genanki.guid_for("embedkit", c.key)))
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return path


def build(out_dir: Path, site_url: str | None = None,
          notebooks: list[Path] | None = None) -> tuple[Path, Path, int]:
    """Write ``embedkit.apkg`` and ``embedkit.csv`` into ``out_dir``; return both and the count."""
    site_url = site_url or (ROOT / "build" / "site").as_uri()
    cards = collect_cards(site_url, notebooks)
    if not cards:
        raise ValueError("no interview questions found: is the notebooks/ folder empty?")
    keys = [c.key for c in cards]
    if len(set(keys)) != len(keys):
        raise ValueError(f"two questions share an id: {sorted(k for k in keys if keys.count(k) > 1)}")
    out_dir = Path(out_dir)
    return (write_deck(cards, out_dir / "embedkit.apkg", site_url),
            write_csv(cards, out_dir / "embedkit.csv"), len(cards))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "build" / "flashcards"), help="output folder")
    parser.add_argument("--site-url", default=None,
                        help="where the course website lives (default: the local build/site)")
    args = parser.parse_args(argv)
    deck, table, n = build(Path(args.out), args.site_url)
    print(f"flashcards: {n} cards -> {deck} and {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
