"""The social graph: follows, follow requests, blocks, how two accounts stand to each other,
and the visibility policy every read model goes through."""
