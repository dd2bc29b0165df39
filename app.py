"""Glimpse's API: a table of contents. Routes live in chalicelib/routes, logic in chalicelib."""

from __future__ import annotations

from typing import Any

from chalice import Chalice
from chalice.app import DynamoDBEvent

from chalicelib import streams
from chalicelib.routes.auth import auth
from chalicelib.routes.http import http_middleware
from chalicelib.routes.me import me
from chalicelib.routes.posts import posts_api
from chalicelib.routes.users import users
from chalicelib.settings import settings

app = Chalice(app_name="glimpse")
app.register_middleware(http_middleware, "http")

app.register_blueprint(auth)
app.register_blueprint(me)
app.register_blueprint(users)
app.register_blueprint(posts_api)


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.on_dynamodb_record(stream_arn=settings().users_stream_arn, batch_size=25)
def on_user_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_user_record)
