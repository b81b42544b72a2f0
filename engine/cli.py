"""``motcua``: the product's command line.

    motcua validate PATH          check a procedure folder (bpmn/<slug>) or the whole library (bpmn/)
    motcua validate --paths PATH  ... and drive each procedure down every path (engine/explore.py)
    motcua play PATH --data F...  play a procedure through with sample data files, printing each step
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from engine import safe_parse
from engine.compiler import validate_package
from engine.explore import MAX_ACTIONS, explore
from engine.forms import FormInvalid
from engine.local_systems import default_registry
from engine.package import PackageReadError, PackageSource, is_library, overlay_provinces, read_package
from engine.problems import PackageInvalid
from engine.runtime import Advance, Engine
from engine.safe_parse import InputTooDeep
from engine.statuses import DossierStatus


def _out(text: str = "") -> None:
    print(text, flush=True)


def cmd_validate(args: argparse.Namespace) -> int:
    folder = Path(args.path)
    try:
        sources = _sources_to_validate(folder, args.province)
    except PackageReadError as err:
        _out(f"error: {err}")
        return 1
    connectors = default_registry()
    failed = 0
    report: dict[str, Any] = {}
    for label, source in sources:
        problems = validate_package(source, connectors)
        report[label] = [p.as_dict(args.lang) for p in problems]
        paths = explore(source, max_actions=args.max_actions) if args.paths and not problems else None
        if paths is not None:
            problems = paths.errors
            report[label] = {"problems": [p.as_dict(args.lang) for p in paths.errors],
                             "warnings": [p.as_dict(args.lang) for p in paths.warnings],
                             "coverage": dict(zip(("taken", "total"), paths.coverage, strict=True))}
        if problems:
            failed += 1
        if not args.json:
            verdict = "OK" if not problems else f"{len(problems)} problem(s)"
            _out(f"{label}: {verdict}" + (f", {paths.coverage_line(args.lang)}" if paths is not None else ""))
            for problem in problems:
                _out(f"  - {problem.format(args.lang)}")
            for warning in paths.warnings if paths is not None else []:
                _out(f"  ~ {warning.format(args.lang)}")
    if args.json:
        _out(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def _sources_to_validate(folder: Path, province: str | None) -> list[tuple[str, PackageSource]]:
    """Each package as shipped, then as each province with an overlay for it will run it
    (only ``province`` when given), labelled ``slug`` and ``slug@province``."""
    library = is_library(folder)
    provinces = [province] if province else overlay_provinces(folder if library else folder.parent)
    found: list[tuple[str, PackageSource]] = []
    for package in sorted(c for c in folder.iterdir() if c.is_dir()) if library else [folder]:
        source = read_package(package)
        found.append((source.slug, source))
        for code in provinces:
            overlaid = read_package(package, code)
            if overlaid.files != source.files:
                found.append((f"{source.slug}@{code}", overlaid))
    return found


def _form_stem(path: str) -> str:
    return Path(path).name.split(".")[0]


def _print_advance(advance: Advance, lang: str) -> None:
    for change in advance.status_changes:
        _out(f"    trạng thái/status {change.code}: {DossierStatus(change.code).label(lang)}")
    if advance.failure:
        _out(f"  ! {advance.failure.message(lang)}")


def cmd_play(args: argparse.Namespace) -> int:
    try:
        source = read_package(Path(args.path))
    except PackageReadError as err:
        _out(f"error: {err}")
        return 1
    samples: dict[str, deque[tuple[str, Any]]] = defaultdict(deque)
    for file in args.data:
        try:
            sample = safe_parse.load_json(Path(file).read_bytes())
        except InputTooDeep as err:
            _out(f"error: {file}: {err.message(args.lang)}")
            return 1
        except (OSError, ValueError) as err:  # unreadable, not UTF-8, not JSON
            _out(f"error: {file}: {err}")
            return 1
        samples[Path(file).name.split(".")[0]].append((file, sample))
    engine = Engine()
    try:
        procedure = engine.load(source)
    except PackageInvalid as err:
        for problem in err.problems:
            _out(f"  - {problem.format(args.lang)}")
        return 1
    start_stem = _form_stem(procedure.start_form.path) if procedure.start_form else None
    start_data: dict[str, Any] = {}
    if start_stem:
        if not samples[start_stem]:
            _out(f"error: no data file for the start form {start_stem} (give --data {start_stem}.json)")
            return 2
        file, start_data = samples[start_stem].popleft()
        _out(f"▶ {procedure.metadata.get('name', {}).get('vi', procedure.slug)} ← {file}")
    try:
        instance, advance = engine.start(procedure, start_data, lang=args.lang)
        _print_advance(advance, args.lang)
        while advance.failure is None and not advance.completed:
            tasks = engine.ready_tasks(instance)
            due = None if tasks else engine.payment_due(instance)
            if due is not None:  # a fee: play pays it, as the citizen would at the gateway
                element = procedure.elements[due.element_id]
                amount = f"{due.amount:,}".replace(",", ".")
                _out(f"→ [{element.lane}] {element.label}: {amount} đ ← (thanh toán giả lập/simulated payment)")
                advance = engine.deliver_message(instance, due.message, {"so_tien": due.amount})
                _print_advance(advance, args.lang)
                continue
            task = next((t for t in tasks if t.form and samples[_form_stem(t.form.path)]), None)
            if task is None:
                names = ", ".join(f"{t.name} [{t.lane}]" for t in tasks) or "-"
                _out(f"■ waiting for: {names} (no more data files for these steps)")
                return 2
            file, data = samples[_form_stem(task.form.path)].popleft()  # type: ignore[union-attr]
            due_text = f", hạn/due {task.due_at:%Y-%m-%d %H:%M}" if task.due_at else ""
            _out(f"→ [{task.lane}] {task.name}{due_text} ← {file}")
            advance = engine.complete(instance, task.id, data, lang=args.lang)
            # Round-trip the state after every step, as the web service does.
            instance = engine.deserialize(procedure, engine.serialize(instance))
            _print_advance(advance, args.lang)
    except FormInvalid as err:
        for error in err.errors:
            _out(f"  ! {error.path}: {error.message}")
        return 1
    if advance.failure:
        return 1
    _out("✔ hoàn thành / finished")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="BPMN one-stop platform tools")
    parser.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of messages")
    sub = parser.add_subparsers(dest="command", required=True)
    # --lang after the command as well (motcua validate --lang en PATH); SUPPRESS keeps the one given before it.
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=["vi", "en"], default=argparse.SUPPRESS, help="language of messages")
    validate = sub.add_parser("validate", parents=[lang], help="validate a procedure folder or the whole library")
    validate.add_argument("path")
    validate.add_argument("--json", action="store_true", help="print the problems as JSON")
    validate.add_argument("--province", help="also check this province's overlays (default: every province "
                                             "under overlays/ next to the library)")
    validate.add_argument("--paths", action="store_true",
                          help="also drive each procedure down every flow with generated answers, faked timers "
                               "and connectors; print the path coverage (docs/designer/validation.md)")
    validate.add_argument("--max-actions", type=int, default=MAX_ACTIONS, metavar="N",
                          help=f"--paths: stop exploring a procedure after N engine actions (default {MAX_ACTIONS})")
    validate.set_defaults(func=cmd_validate)
    play = sub.add_parser("play", parents=[lang], help="play a procedure through with sample data")
    play.add_argument("path")
    play.add_argument("--data", nargs="+", required=True, metavar="FILE",
                      help="sample data, one file per form step, named after the form (tiep-nhan.json)")
    play.set_defaults(func=cmd_play)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
