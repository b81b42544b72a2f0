"""Citizens' satisfaction ratings of a finished dossier (one per dossier)."""
