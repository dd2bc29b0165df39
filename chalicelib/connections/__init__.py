"""Live websocket connections and pushing events to a user's devices, from any context (a
message, an activity item, a post turning ready, a session that ends)."""
