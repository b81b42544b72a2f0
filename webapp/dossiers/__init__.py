"""Dossiers (hồ sơ): submission, work items, history, documents, codes."""
