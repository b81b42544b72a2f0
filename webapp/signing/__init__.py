"""Digital signatures on result documents: unit keys (a local demo CA or the province's real
keys), PAdES signing with pyHanko, and verification against the configured trust roots.

``keys`` and ``pades`` do not import Flask (the CLI and tests use them directly); ``service``
builds the key store from the app's settings.
"""
