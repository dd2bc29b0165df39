"""The home feed (fan-out on write, large accounts merged on read) and the activity inbox."""
