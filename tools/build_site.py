"""Build the course website: every stored notebook as a page, offline (``make site``).

    python tools/build_site.py                   # writes build/site/index.html
    python tools/build_site.py --out DIR

Sphinx with MyST-NB renders the notebooks *as stored* (execution is off: the outputs on
the site are the ones nbval checks). The source tree Sphinx reads is staged under
``build/site-src`` with the repository's own layout, so every relative link between
notebooks keeps working:

* ``index.md``: the README (the map of the course) followed by the navigation, one
  section each for the lessons, the exercises, the solutions and the reference pages, in
  course order (``embedkit.course.lesson_notebooks``: any ``NN_*.ipynb`` that exists);
* ``notebooks/``, ``exercises/``, ``solutions/``: the notebooks as stored, their Markdown
  rewritten where MyST would read it differently from JupyterLab (``tools/lab_markdown.py``:
  formulas over several lines, folded answers written as one block of HTML);
* ``cheatsheet.ipynb``: every lesson's Key takeaways (``tools/build_cheatsheet.py``).

Headings get the anchors JupyterLab gives them (``tools/site/conf.py``), so a link such
as ``04_word2vec.ipynb#3.-Negative-sampling-and-its-gradient`` lands on the same section
on the site. MathJax is copied into the site (``tools/mathjax.py``), so math renders with
no network. A warning from Sphinx (a link to a missing page or section, an unreadable
image) fails the build: it would be a broken page.
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import time
import warnings as warnings_module
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from embedkit import course  # noqa: E402
from tools.build_cheatsheet import cheatsheet_notebook  # noqa: E402
from tools.lab_markdown import portable  # noqa: E402
from tools.mathjax import copy_mathjax  # noqa: E402

CONF_DIR = ROOT / "tools" / "site"
FOLDERS = ("notebooks", "exercises", "solutions")
CAPTIONS = {"notebooks": "Lessons", "exercises": "Exercises", "solutions": "Solutions"}


@dataclass
class SiteReport:
    out: Path
    pages: int          # HTML pages built from the course (search and index pages excluded)
    size_bytes: int     # the whole site folder, MathJax included
    seconds: float

    def __str__(self) -> str:
        return (f"site: {self.out / 'index.html'} ({self.pages} pages, "
                f"{self.size_bytes / 2**20:.1f} MiB) built in {self.seconds:.1f} s")


def _write_if_changed(path: Path, data: bytes) -> None:
    """Write only on change: Sphinx rebuilds a page when its source's mtime moves."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _toctree(caption: str, docs: list[str]) -> str:
    lines = ["```{toctree}", f":caption: {caption}", ":maxdepth: 1", ":hidden:", ""]
    return "\n".join(lines + docs + ["```", ""])


def home_page(readme: str, folders: dict[str, list[Path]]) -> str:
    """The README (course map first) and the site's navigation, in course order."""
    parts = [readme.rstrip() + "\n"]
    for folder, paths in folders.items():
        if paths:
            parts.append(_toctree(CAPTIONS[folder], [f"{folder}/{p.stem}" for p in paths]))
    parts.append(_toctree("Reference", ["cheatsheet"]))
    return "\n".join(parts)


def page_source(path: Path) -> bytes:
    """A stored notebook as the site reads it: outputs untouched, Markdown made portable."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = portable(cell.source)
        for out in cell.get("outputs", []):
            if "text/markdown" in out.get("data", {}):
                out.data["text/markdown"] = portable(out.data["text/markdown"])
    return nbformat.writes(nb).encode("utf-8")


def stage(src: Path, readme: str, folders: dict[str, list[Path]]) -> list[str]:
    """Lay out the Sphinx source tree under ``src``; return the documents it holds."""
    docs = ["index", "cheatsheet"]
    for folder, paths in folders.items():
        keep = {p.name for p in paths}
        target = src / folder
        for old in target.glob("*.ipynb") if target.is_dir() else []:
            if old.name not in keep:          # a notebook removed from the course
                old.unlink()
        for p in paths:
            _write_if_changed(target / p.name, page_source(p))
            docs.append(f"{folder}/{p.stem}")
    _write_if_changed(src / "index.md", home_page(readme, folders).encode("utf-8"))
    cheat = cheatsheet_notebook(folders["notebooks"], "notebooks/")
    cheat.cells[0].source = cheat.cells[0].source.replace(
        "Regenerate with `make cheatsheet`.", "`make cheatsheet` writes it as one HTML file.")
    _write_if_changed(src / "cheatsheet.ipynb", nbformat.writes(cheat).encode("utf-8"))
    return docs


def course_folders(root: Path = ROOT) -> dict[str, list[Path]]:
    """Every notebook of the three folders, in course order (whatever ``NN_*`` exist)."""
    return {f: course.lesson_notebooks(root / f) for f in FOLDERS}


def build(out: Path | str = ROOT / "build" / "site", *, folders: dict[str, list[Path]] | None = None,
          readme: str | None = None, quiet: bool = True) -> SiteReport:
    """Stage the sources, run Sphinx (html), copy MathJax; raise on any Sphinx warning."""
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    nocolor()                                  # plain warnings, to quote in the error

    start = time.perf_counter()
    out = Path(out).resolve()
    folders = course_folders() if folders is None else folders
    if not folders.get("notebooks"):
        raise ValueError("folders['notebooks'] must list at least one lesson notebook")
    readme = (ROOT / "README.md").read_text(encoding="utf-8") if readme is None else readme
    src = out.parent / f"{out.name}-src"
    doctrees = out.parent / f"{out.name}-doctrees"
    docs = stage(src, readme, folders)

    warnings = io.StringIO()
    # as sphinx-build does: docutils' registries set up afresh, so builds can run in one process
    with patch_docutils(CONF_DIR), docutils_namespace(), warnings_module.catch_warnings():
        # the theme and MyST still use Sphinx APIs announced for removal in Sphinx 11
        warnings_module.filterwarnings("ignore", message=".*Check CHANGES for Sphinx API modifications")
        app = Sphinx(str(src), str(CONF_DIR), str(out), str(doctrees), "html",
                     status=sys.stdout if not quiet else io.StringIO(), warning=warnings,
                     keep_going=True)
        app.build(force_all=True)   # reads only changed notebooks, but re-resolves every link
    problems = [line for line in warnings.getvalue().splitlines() if "WARNING" in line or "ERROR" in line]
    if problems or app.statuscode:
        raise RuntimeError("the site build reported problems:\n" + "\n".join(problems))
    copy_mathjax(out / "_static" / "mathjax")
    (out / ".nojekyll").touch()               # serve _static/ as is on static hosts

    pages = sum((out / f"{d}.html").is_file() for d in docs)
    if pages != len(docs):
        missing = [d for d in docs if not (out / f"{d}.html").is_file()]
        raise RuntimeError(f"pages missing from the site: {missing}")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return SiteReport(out, pages, size, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "build" / "site"), help="output folder")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    report = build(Path(args.out), quiet=not args.verbose)
    print(report)
    print(json.dumps({"pages": report.pages, "bytes": report.size_bytes,
                      "seconds": round(report.seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
