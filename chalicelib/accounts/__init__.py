"""Accounts: registration, login with its lockout, sessions and tokens, passwords, and the
profile of one's own account."""
