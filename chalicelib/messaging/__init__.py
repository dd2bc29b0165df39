"""Direct messages, 1:1 and groups, over REST and the websocket API."""
