"""The dossier's result: a document rendered, signed by the approving unit and handed to the citizen."""
