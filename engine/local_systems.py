"""The connector registry the engine uses when it is given none: the local fakes.

``motcua validate`` and ``motcua play`` (engine/cli.py), path exploration (engine/explore.py),
the studio's test runs and the tests run procedures against the local fakes of the outside
systems, never against real ones. The fakes live in the top-level ``fakes`` package; this module
is the engine's only way to them (an import-linter contract in pyproject.toml says so). The web
app builds on this registry and points each system at its real client when the settings name
one (webapp/connectors).
"""

from __future__ import annotations

from engine.connectors import ConnectorRegistry


def default_registry() -> ConnectorRegistry:
    """A new registry where every outside system is its local fake (see :mod:`fakes.registry`)."""
    from fakes.registry import fake_registry  # development package: imported only when asked for

    return fake_registry()
