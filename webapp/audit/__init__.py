"""The append-only audit log: who did what, when, to which dossier. No personal data."""
