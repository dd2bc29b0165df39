"""An account's lifecycle across every context: its deletion and its export (the top layer:
it touches what each context below owns, through the small operation each offers)."""
