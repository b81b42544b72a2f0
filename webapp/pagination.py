"""The officer pages' ``?page=N``: read it forgivingly, and count the pages."""

from __future__ import annotations

from flask import request


def page_arg(name: str = "page") -> int:
    """The page asked for; 1 when it is missing or not a positive number."""
    try:
        return max(1, int(request.args.get(name, "1")))
    except ValueError:
        return 1


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill (at least one, so an empty list still has a page 1)."""
    return max(1, -(-total // per_page))
