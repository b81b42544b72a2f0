"""The procedure engine: packages, validation, the SpiffWorkflow runtime and its helpers.

Pure Python. Nothing in this package may import Flask or ``webapp``; the web layer
and the background jobs call the small API in :mod:`engine.runtime`.
"""
