"""Legal deadlines: officers warned before a dossier falls due, overdue dossiers counted and flagged."""
