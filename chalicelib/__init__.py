"""Glimpse's application package: everything Chalice deploys beside app.py.

One package per bounded context, each with its models (``models.py``), its logic, its routes
(``routes.py``) and its stream reactions (``reactions.py``); ``core`` is what they stand on.
Contexts import only contexts below them (the import contract in ``.importlinter``,
checked by ``make lint``); docs/architecture.md is the map. The logic never imports Chalice,
so the same functions serve a REST route, a websocket message, a queue consumer or a test.
"""
