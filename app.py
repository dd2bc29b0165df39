"""Glimpse's API: a table of contents. Routes live in chalicelib/routes, logic in chalicelib."""

from chalice import Chalice

app = Chalice(app_name="glimpse")


@app.route("/health")
def health() -> dict:
    return {"status": "ok"}
