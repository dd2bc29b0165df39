"""Glimpse's API: a table of contents. Routes live in chalicelib/routes, logic in chalicelib."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response
from chalice.app import DynamoDBEvent, WebsocketEvent

from chalicelib import clients, connections, realtime, streams
from chalicelib.routes.auth import auth
from chalicelib.routes.conversations import dms
from chalicelib.routes.discovery import discovery
from chalicelib.routes.http import http_middleware
from chalicelib.routes.me import me
from chalicelib.routes.posts import posts_api
from chalicelib.routes.search import search_api
from chalicelib.routes.users import users
from chalicelib.settings import settings
from chalicelib.websocket_endpoint import configure_websocket_api

app = Chalice(app_name="glimpse")
app.register_middleware(http_middleware, "http")

app.register_blueprint(auth)
app.register_blueprint(me)
app.register_blueprint(users)
app.register_blueprint(posts_api)
app.register_blueprint(discovery)
app.register_blueprint(dms)
app.register_blueprint(search_api)

# Chalice still labels websockets experimental and refuses to deploy them without the flag.
app.experimental_feature_flags.add("WEBSOCKETS")
configure_websocket_api(app.websocket_api, settings().websocket_endpoint_url, clients.Session())


# Websocket handlers live on the app itself: Chalice does not wrap a blueprint's websocket
# handlers with the websocket API, so they would be called without one.
@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> Response:
    query = event.to_dict().get("queryStringParameters")
    status, message = realtime.connect(query, event.connection_id)
    return Response(body=message, status_code=status)


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> None:
    answer = realtime.reply(event.body, event.connection_id)
    if answer is not None:
        app.websocket_api.send(event.connection_id, answer)


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> None:
    connections.forget(event.connection_id)


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


# Stream consumers (chalicelib/streams.py says what each one does).
@app.on_dynamodb_record(stream_arn=settings().users_stream_arn, batch_size=25)
def on_user_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_user_record)


@app.on_dynamodb_record(stream_arn=settings().posts_stream_arn, batch_size=10)
def on_post_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_post_record)


@app.on_dynamodb_record(stream_arn=settings().follows_stream_arn, batch_size=25)
def on_follow_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_follow_record)


@app.on_dynamodb_record(stream_arn=settings().follow_requests_stream_arn, batch_size=25)
def on_follow_request_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_follow_request_record)


@app.on_dynamodb_record(stream_arn=settings().likes_stream_arn, batch_size=50)
def on_like_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_like_record)


@app.on_dynamodb_record(stream_arn=settings().comments_stream_arn, batch_size=50)
def on_comment_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_comment_record)


@app.on_dynamodb_record(stream_arn=settings().hashtags_stream_arn, batch_size=50)
def on_hashtag_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_hashtag_record)


@app.on_dynamodb_record(stream_arn=settings().places_stream_arn, batch_size=50)
def on_place_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), streams.on_place_record)
