"""Reports and moderation: people report what they see, moderators act on the cases."""
