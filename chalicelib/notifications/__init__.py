"""Push notifications: an account's phones (SNS platform endpoints), what it wants to be told,
and telling it when no socket of its is live."""
