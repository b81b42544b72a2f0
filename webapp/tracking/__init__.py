"""What the citizen does after submitting: my dossiers, timeline, public lookup, withdrawal."""
