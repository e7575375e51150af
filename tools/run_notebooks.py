"""Re-execute course notebooks in place, deterministically (``make notebooks``).

    python tools/run_notebooks.py notebooks solutions        # execute, store outputs
    python tools/run_notebooks.py --clear exercises          # strip outputs (learner stubs)
    python tools/run_notebooks.py notebooks/01_*.ipynb       # single notebooks work too

Running it twice changes no byte: execution uses nbclient with timing and widget state
off, in the fixed environment of ``tools/notebook_env.py``; notebook metadata is reduced
to the kernelspec and language name; widget model ids (random UUIDs) are renumbered.
Each notebook runs with its own folder as the working directory, as in JupyterLab.

Timing cells are the one exception to "outputs come from this run": a cell marked
``# NBVAL_IGNORE_OUTPUT`` prints wall-clock figures that differ on every run, so when its
source is unchanged it keeps its stored output (it is still executed, and its asserts
still run). "Unchanged" is checked against a hash of the source that produced the stored
output, kept in the cell's metadata (``output_source_sha1``): a cell edited by hand since
its last run gets fresh output. ``--refresh-timings`` re-records every such output.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.notebook_env import NOTEBOOK_ENV  # noqa: E402

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def normalise(nb, *, clear: bool) -> None:
    """Strip run-to-run noise so a second regeneration is byte-identical."""
    nb.metadata = nbformat.from_dict({
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    })
    widget_count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type != "code":
            continue
        if clear:
            cell.outputs = []
            cell.execution_count = None
            continue
        cell.outputs = _merge_streams(cell.outputs)
        for out in cell.outputs:
            data = out.get("data", {})
            if WIDGET_MIME in data:
                widget_count += 1
                data[WIDGET_MIME]["model_id"] = f"widget-{widget_count}"
            out.get("metadata", {}).pop("execution", None)


IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"


SOURCE_HASH_KEY = "output_source_sha1"


def _source_hash(cell) -> str:
    return hashlib.sha1(cell.source.encode("utf-8")).hexdigest()


def _is_timing_cell(cell) -> bool:
    return cell.cell_type == "code" and any(
        line.strip() == IGNORE_MARKER for line in cell.source.splitlines())


def _merge_streams(outputs):
    """Join consecutive pieces of the same stream.

    A busy kernel may flush one print in several messages; nbval joins them before
    comparing, and joining them here keeps the stored file identical between runs.
    """
    merged = []
    for out in outputs:
        if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def run(path: Path, *, clear: bool, timeout: int, refresh_timings: bool = False) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    kept = {} if refresh_timings else {
        c.source: c.outputs for c in nb.cells
        if _is_timing_cell(c) and c.outputs and c.metadata.get(SOURCE_HASH_KEY) == _source_hash(c)}
    if not clear:
        for cell in nb.cells:  # drop stale outputs first so nothing survives a failed cell
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            record_timing=False,
            store_widget_state=False,
        )
        client.execute()
        for cell in nb.cells:
            if _is_timing_cell(cell):
                if cell.source in kept:
                    cell.outputs = kept[cell.source]
                cell.metadata[SOURCE_HASH_KEY] = _source_hash(cell)
    normalise(nb, clear=clear)
    nbformat.validate(nb)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        nbformat.write(nb, fh)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    parser.add_argument("--clear", action="store_true", help="strip outputs instead of executing")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    parser.add_argument("--refresh-timings", action="store_true",
                        help="also re-record the outputs of unchanged # NBVAL_IGNORE_OUTPUT cells")
    args = parser.parse_args(argv)
    os.environ.update(NOTEBOOK_ENV)
    paths: list[Path] = []
    for p in map(Path, args.paths):
        paths += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    for path in paths:
        seconds = run(path, clear=args.clear, timeout=args.timeout, refresh_timings=args.refresh_timings)
        verb = "cleared" if args.clear else f"executed in {seconds:5.1f} s"
        print(f"{path}: {verb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
