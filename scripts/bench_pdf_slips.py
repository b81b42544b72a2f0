"""How long desk-form PDFs take to render: form 01, and the register (form 07) at its PDF limit.

    .venv/bin/python scripts/bench_pdf_slips.py
"""

from __future__ import annotations

import time

from webapp.pdf import render, sample, template
from webapp.workspace.slips import REGISTER_PDF_MAX


def timed(form: str, context: dict, runs: int) -> tuple[float, int]:
    layout = template.load(form)
    started = time.perf_counter()
    for _ in range(runs):
        size = len(render.render(layout, context))
    return (time.perf_counter() - started) / runs, size


def main() -> None:
    seconds, size = timed("01", sample.context("01"), 20)
    print(f"form 01: {seconds * 1000:.0f} ms, {size / 1024:.0f} KiB")
    register = sample.context("07")
    row = register["rows"][0]
    register["rows"] = [{**row, "number": str(n)} for n in range(1, REGISTER_PDF_MAX + 1)]
    seconds, size = timed("07", register, 1)
    print(f"form 07, {REGISTER_PDF_MAX} rows: {seconds:.1f} s, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
