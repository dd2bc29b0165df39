"""Glimpse's application package: everything Chalice deploys beside app.py.

Modules here hold the business logic and never import Chalice, so the same functions serve a
REST route, a websocket message, a queue consumer or a test. The Chalice edge lives in
``chalicelib/routes`` and ``app.py``.
"""
