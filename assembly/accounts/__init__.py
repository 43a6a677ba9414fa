"""User accounts, roles, login, token refresh and revocation."""
