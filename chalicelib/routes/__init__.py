"""The Chalice edge: blueprints that parse requests and call into chalicelib's logic."""
