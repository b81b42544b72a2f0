"""Units, accounts, roles per unit and API tokens."""
