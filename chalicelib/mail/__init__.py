"""Account mail through Amazon SES: verification, password reset, "someone tried to sign up
with your address", "your export is ready". Locally the emulator's SES receives it and the
local cloud keeps every message in its mailbox (README: "Mail")."""
