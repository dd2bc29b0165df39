"""The accounts context's routes, one module per area, each a blueprint app.py registers."""
