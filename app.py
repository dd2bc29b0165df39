"""Glimpse's API: a table of contents. Each context of chalicelib/ brings its routes (a URL
names its folder where one prefix fits), its stream reactions (chalicelib/streams.py says
which run for which table) and its logic; docs/architecture.md is the map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Chalice, Response
from chalice.app import DynamoDBEvent, SQSEvent, WebsocketEvent

from chalicelib import streams
from chalicelib.accounts import sessions
from chalicelib.accounts.routes import auth as sign_in
from chalicelib.accounts.routes import avatar as profile_photo
from chalicelib.accounts.routes import mail as account_mail
from chalicelib.accounts.routes import me, security
from chalicelib.accounts.routes import sessions as my_sessions
from chalicelib.connections import registry
from chalicelib.connections.endpoint import configure_websocket_api
from chalicelib.core import clients, http
from chalicelib.core.deferred import deferred
from chalicelib.core.settings import settings
from chalicelib.discovery import routes as discovery
from chalicelib.feed import routes as feed
from chalicelib.graph import routes as graph
from chalicelib.lifecycle import routes as lifecycle
from chalicelib.messaging import routes as messaging
from chalicelib.moderation import routes as moderation
from chalicelib.notifications import routes as notifications
from chalicelib.posts import routes as posts
from chalicelib.recommendations import routes as recommendations
from chalicelib.search import routes as search
from chalicelib.stories import routes as stories

if TYPE_CHECKING:  # what the websocket and queue handlers use, imported on their first call
    from chalicelib.accounts import jobs as account_jobs
    from chalicelib.interactions import log as interaction_log
    from chalicelib.messaging import realtime
    from chalicelib.posts import media
else:
    account_jobs = deferred("chalicelib.accounts", "jobs")
    interaction_log = deferred("chalicelib.interactions", "log")
    realtime = deferred("chalicelib.messaging", "realtime")
    media = deferred("chalicelib.posts", "media")

app = Chalice(app_name="glimpse")
# One middleware guards every route; the accounts context says who a bearer token is.
app.register_middleware(http.middleware(sessions.authenticate), "http")

app.register_blueprint(sign_in.sign_in, url_prefix="/auth")
app.register_blueprint(account_mail.mail_links, url_prefix="/auth")  # its links lead here
app.register_blueprint(account_mail.my_email, url_prefix="/me")
app.register_blueprint(me.me, url_prefix="/me")
app.register_blueprint(profile_photo.avatar, url_prefix="/me")
app.register_blueprint(security.security, url_prefix="/me")
app.register_blueprint(my_sessions.my_sessions, url_prefix="/me/sessions")
app.register_blueprint(lifecycle.account, url_prefix="/me")  # DELETE /me, /me/export
app.register_blueprint(graph.users, url_prefix="/users")
app.register_blueprint(graph.requests, url_prefix="/me/follow-requests")
app.register_blueprint(graph.mine, url_prefix="/me")  # /me/blocked, /me/followers/{username}
app.register_blueprint(notifications.my_devices, url_prefix="/me/devices")
app.register_blueprint(notifications.my_notifications, url_prefix="/me/notifications")
app.register_blueprint(posts.upload_slots, url_prefix="/uploads")
app.register_blueprint(posts.posts_api, url_prefix="/posts")
app.register_blueprint(posts.grid, url_prefix="/users/{username}/posts")
app.register_blueprint(posts.tagged, url_prefix="/users/{username}/tagged")
app.register_blueprint(posts.saved, url_prefix="/me/saved")
app.register_blueprint(discovery.tags, url_prefix="/tags")
app.register_blueprint(discovery.place_pages, url_prefix="/places")
app.register_blueprint(feed.home_feed, url_prefix="/feed")
app.register_blueprint(feed.news, url_prefix="/activity")
app.register_blueprint(messaging.dms, url_prefix="/conversations")
app.register_blueprint(search.search_api, url_prefix="/search")
app.register_blueprint(recommendations.recommended)  # /feed/explore, /suggestions, /events
app.register_blueprint(stories.stories_api, url_prefix="/stories")
app.register_blueprint(stories.profile_stories, url_prefix="/users/{username}/stories")
app.register_blueprint(stories.my_close_friends, url_prefix="/me/close-friends")
app.register_blueprint(stories.my_highlights, url_prefix="/me/highlights")
app.register_blueprint(stories.profile_highlights, url_prefix="/users/{username}/highlights")
app.register_blueprint(moderation.reporting, url_prefix="/reports")
app.register_blueprint(moderation.moderation, url_prefix="/moderation/reports")

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
    registry.forget(event.connection_id)


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


# Stream consumers: each table's changes through the reactions chalicelib/streams.py names.
@app.on_dynamodb_record(stream_arn=settings().users_stream_arn, batch_size=25)
def on_user_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "users")


@app.on_dynamodb_record(stream_arn=settings().posts_stream_arn, batch_size=10)
def on_post_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "posts")


@app.on_dynamodb_record(stream_arn=settings().follows_stream_arn, batch_size=25)
def on_follow_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "follows")


@app.on_dynamodb_record(stream_arn=settings().follow_requests_stream_arn, batch_size=25)
def on_follow_request_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "follow_requests")


@app.on_dynamodb_record(stream_arn=settings().likes_stream_arn, batch_size=50)
def on_like_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "likes")


@app.on_dynamodb_record(stream_arn=settings().comments_stream_arn, batch_size=50)
def on_comment_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "comments")


@app.on_dynamodb_record(stream_arn=settings().hashtags_stream_arn, batch_size=50)
def on_hashtag_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "hashtags")


@app.on_dynamodb_record(stream_arn=settings().places_stream_arn, batch_size=50)
def on_place_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "places")


@app.on_dynamodb_record(stream_arn=settings().stories_stream_arn, batch_size=25)
def on_story_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "stories")


@app.on_dynamodb_record(stream_arn=settings().restricts_stream_arn, batch_size=25)
def on_restrict_change(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.process_batch(event.to_dict(), "restricts")


# Not a reaction per record: each batch of new interactions is one object of the log in S3
# the recommender reads instead of Scanning the table (chalicelib/interactions/log.py).
@app.on_dynamodb_record(stream_arn=settings().interactions_stream_arn, batch_size=1000)
def on_interactions_change(event: DynamoDBEvent) -> None:
    interaction_log.append(event.to_dict())


# A post's media deadline (posts.media.schedule_deadline): still processing then, it fails.
@app.on_sqs_message(queue=settings().resource_name("post-deadlines"), batch_size=10)
def on_post_deadline(event: SQSEvent) -> None:
    for record in event:
        media.deadline_reached(record.body)


# Account jobs (chalicelib/accounts/jobs.py, a table by kind): account mail, and the rest of
# what an account asks for that takes longer than a request. One job per invocation.
@app.on_sqs_message(queue=settings().resource_name("account-jobs"))
def on_account_job(event: SQSEvent) -> None:
    for record in event:
        account_jobs.run(record.body)


# Two more functions, outside Chalice, are declared in infra/template.yaml:
# - MediaFunction (functions/media, a container image): S3 ObjectCreated on uploads/ → the
#   media queue → renditions, faces, placeholders; marks the post ready or failed.
# - RecommenderFunction (functions/recommender, a container image): hourly on EventBridge,
#   and the shard queue → explore lists and suggested accounts.
