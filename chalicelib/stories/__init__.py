"""Stories: photos that live 24 hours, shown to followers (or only close friends) in the
tray and on the profile; who saw them; replies as messages; highlights that keep them."""
