"""The course's structure: every notebook is tested, listed in the README, paired, and
stored as one clean top-to-bottom run."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "exercises", "solutions")
ALL_NOTEBOOKS = sorted(p for f in FOLDERS for p in (ROOT / f).glob("*.ipynb"))
NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")


def test_every_notebook_is_collected_by_the_test_command():
    """`make test` runs pytest with --nbval over the three folders: ask pytest itself."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval", "--nbval-current-env",
         "-p", "no:cacheprovider", *FOLDERS],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    ).stdout
    collected = {line.split("::")[0] for line in out.splitlines() if ".ipynb::" in line}
    missing = [str(p.relative_to(ROOT)) for p in ALL_NOTEBOOKS if str(p.relative_to(ROOT)) not in collected]
    assert not missing, f"notebooks not collected by the suite: {missing}"
    makefile = (ROOT / "Makefile").read_text()
    assert all(f in makefile for f in FOLDERS) and "--nbval" in makefile


def test_every_notebook_is_in_the_readme_map():
    readme = (ROOT / "README.md").read_text()
    course_map = readme.split("## Course map", 1)[1].split("\n## ", 1)[0]
    linked = set(re.findall(r"\]\(([^)]+\.ipynb)\)", course_map))
    missing = [str(p.relative_to(ROOT)) for p in ALL_NOTEBOOKS if str(p.relative_to(ROOT)) not in linked]
    assert not missing, f"notebooks missing from the README course map: {missing}"
    dangling = sorted(link for link in linked if not (ROOT / link).exists())
    assert not dangling, f"the README course map links to notebooks that do not exist: {dangling}"


def test_names_and_pairs():
    for p in ALL_NOTEBOOKS:
        assert NAME.match(p.name), f"{p}: notebooks are named NN_topic.ipynb"
    exercises = {p.name for p in (ROOT / "exercises").glob("*.ipynb")}
    solutions = {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    lessons = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert exercises == solutions, f"unpaired: {sorted(exercises ^ solutions)}"
    assert exercises <= lessons, f"exercises without a lesson: {sorted(exercises - lessons)}"
    for name in exercises:
        number = name[:2]
        assert (ROOT / "embedkit" / "exercises" / f"ex{number}.py").exists(), f"no checker for {name}"
    # COURSE.md: lessons 01-20 (the capstone included) have a pair; 00 and 21 have none
    # (21's practice is its self-test mode, embedkit.course.SelfTest).
    expected = {name for name in lessons if name[:2] not in ("00", "21")}
    assert exercises == expected, f"lessons without an exercise pair: {sorted(expected - exercises)}; " \
                                  f"pairs that should not exist: {sorted(exercises - expected)}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_stored_as_one_clean_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    if path.parent.name == "exercises":
        assert all(n is None for n in counts) and not any(c.outputs for c in code), \
            "exercise stubs are stored without outputs (make notebooks clears them)"
        return
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts}: re-run make notebooks"
    for c in code:
        assert not any(o.output_type == "error" for o in c.outputs), "a stored error output"
        assert not any(o.output_type == "stream" and o.name == "stderr" for o in c.outputs), \
            "stderr output cannot be compared reliably by nbval"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    if path.parent.name == "notebooks" and not path.name.startswith("00_"):
        assert "Key takeaways" in text and "Interview questions" in text and "<details>" in text
