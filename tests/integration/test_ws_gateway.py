"""The local websocket gateway, driven as the mobile app and the backend drive API Gateway:
real sockets from the `websockets` client, and boto3's apigatewaymanagementapi client."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from chalice import Chalice
from chalice.app import WebsocketDisconnectedError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from chalicelib.connections.endpoint import configure_websocket_api
from local_cloud.ws_gateway import GatewayLimits, WebsocketGateway
from tests.fixtures import ws_app

pytestmark = pytest.mark.integration

# API Gateway's ids are 11 random bytes in URL-safe base64, e.g. "BFaT_fALIAMCKug=".
API_GATEWAY_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")


@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def gateway(aws_env: None) -> Iterator[WebsocketGateway]:
    gateway = WebsocketGateway(ws_app.app, port=0)
    gateway.start()
    # What app.py does at startup with the WEBSOCKET_ENDPOINT_URL setting.
    configure_websocket_api(ws_app.app.websocket_api, gateway.endpoint_url, boto3.Session())
    yield gateway
    gateway.stop()


def management_client(endpoint_url: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )


def open_socket(
    gateway: WebsocketGateway, query: str = "token=good", path: str = "/local"
) -> ClientConnection:
    url = f"ws://{gateway.domain_name}{path}?{query}"
    return connect(url, proxy=None, open_timeout=2, close_timeout=1)


def echo(ws: ClientConnection, text: str) -> dict[str, Any]:
    ws.send(text)
    return json.loads(ws.recv(timeout=1))


def connection_id_of(ws: ClientConnection) -> str:
    """The server-side id of a socket, learnt from the app's echo."""
    return echo(ws, "who am i")["connectionId"]


def recorded(
    connection_id: str, route_key: str, predicate: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """The event a handler recorded for this connection and route, waiting up to 2 s."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        for event in list(ws_app.events):
            context = event["requestContext"]
            mine = context["connectionId"] == connection_id and context["routeKey"] == route_key
            if mine and (predicate is None or predicate(event)):
                return event
        time.sleep(0.01)
    raise AssertionError(f"no {route_key} event for {connection_id}")


def close_code(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=2)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_a_message_is_echoed_back_through_websocket_api_send(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        started = time.monotonic()
        reply = echo(ws, json.dumps({"action": "send", "text": "hi"}))
        assert time.monotonic() - started < 1
    assert json.loads(reply["echo"]) == {"action": "send", "text": "hi"}


def test_connect_with_a_bad_token_is_refused_with_the_handlers_status(
    gateway: WebsocketGateway,
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(gateway, query="token=bad")
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"bad token"
    assert gateway.connection_ids() == []


def test_the_connect_event_has_api_gateways_shape(gateway: WebsocketGateway) -> None:
    with open_socket(gateway, query="token=good&tag=a&tag=b") as ws:
        connection_id = connection_id_of(ws)
    event = recorded(connection_id, "$connect")

    context = event["requestContext"]
    assert context["eventType"] == "CONNECT"
    assert context["messageDirection"] == "IN"
    assert context["stage"] == "local"
    assert context["domainName"] == f"127.0.0.1:{gateway.port}"
    assert context["apiId"] == gateway.api_id
    assert API_GATEWAY_ID.match(context["connectionId"])
    assert API_GATEWAY_ID.match(context["requestId"])
    assert context["extendedRequestId"] == context["requestId"]
    assert re.match(r"^\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000$", context["requestTime"])
    assert isinstance(context["connectedAt"], int)
    assert context["requestTimeEpoch"] >= context["connectedAt"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("Python/")
    assert "messageId" not in context

    assert event["queryStringParameters"] == {"token": "good", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"token": ["good"], "tag": ["a", "b"]}
    headers = {name.lower(): value for name, value in event["headers"].items()}
    assert headers["host"] == f"127.0.0.1:{gateway.port}"
    assert headers["sec-websocket-version"] == "13"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "upgrade" not in headers and "connection" not in headers
    assert all(event["multiValueHeaders"][name] == [v] for name, v in event["headers"].items())
    assert event["isBase64Encoded"] is False


def test_the_message_event_has_api_gateways_shape(gateway: WebsocketGateway) -> None:
    with open_socket(gateway, path="/") as ws:
        connection_id = connection_id_of(ws)
        echo(ws, '{"action": "typing"}')
    event = recorded(connection_id, "$default", lambda e: e["body"] == '{"action": "typing"}')
    context = event["requestContext"]
    assert context["eventType"] == "MESSAGE"
    assert API_GATEWAY_ID.match(context["messageId"])
    assert context["domainName"] == gateway.domain_name
    assert context["stage"] == "local"
    assert event["isBase64Encoded"] is False
    assert "headers" not in event


def test_disconnect_fires_when_the_client_closes(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        ws.close(code=1000, reason="bye")
    event = recorded(connection_id, "$disconnect")
    context = event["requestContext"]
    assert context["eventType"] == "DISCONNECT"
    assert context["disconnectStatusCode"] == 1000
    assert context["disconnectReason"] == "bye"
    assert connection_id not in gateway.connection_ids()


@pytest.mark.parametrize("with_stage", [True, False])
def test_post_to_connection_reaches_the_client(gateway: WebsocketGateway, with_stage: bool) -> None:
    endpoint = gateway.endpoint_url if with_stage else f"http://{gateway.domain_name}"
    client = management_client(endpoint)
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        client.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "post.ready"}')
        assert json.loads(ws.recv(timeout=1)) == {"type": "post.ready"}

        info = client.get_connection(ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        assert info["Identity"]["UserAgent"].startswith("Python/")
        assert info["ConnectedAt"] <= info["LastActiveAt"]


def test_a_gone_connection_raises_gone_exception_and_websocket_disconnected_error(
    gateway: WebsocketGateway,
) -> None:
    client = management_client(gateway.endpoint_url)
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
    recorded(connection_id, "$disconnect")

    with pytest.raises(client.exceptions.GoneException) as gone:
        client.post_to_connection(ConnectionId=connection_id, Data=b"late")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=connection_id)
    with pytest.raises(WebsocketDisconnectedError):
        ws_app.app.websocket_api.send(connection_id, "late")


def test_another_stage_is_forbidden(gateway: WebsocketGateway) -> None:
    client = management_client(f"http://{gateway.domain_name}/prod")
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        with pytest.raises(client.exceptions.ForbiddenException):
            client.post_to_connection(ConnectionId=connection_id, Data=b"x")


def test_delete_connection_closes_the_client_socket(gateway: WebsocketGateway) -> None:
    client = management_client(gateway.endpoint_url)
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        client.delete_connection(ConnectionId=connection_id)
        assert close_code(ws) == 1000
    event = recorded(connection_id, "$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1000


def test_websocket_api_close_from_a_handler_closes_the_socket(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        ws.send("close me")
        assert close_code(ws) == 1000
    recorded(connection_id, "$disconnect")


def test_two_connections_get_distinct_ids(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as first, open_socket(gateway) as second:
        ids = {connection_id_of(first), connection_id_of(second)}
        assert ids <= set(gateway.connection_ids())
    assert len(ids) == 2


def test_a_frame_that_is_not_json_goes_to_default(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        assert echo(ws, "plain text, no action")["echo"] == "plain text, no action"
        connection_id = connection_id_of(ws)
    event = recorded(connection_id, "$default", lambda e: e["body"] == "plain text, no action")
    assert event["requestContext"]["routeKey"] == "$default"


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 100_000,
        '{"a": ' * 1000 + "1" + "}" * 1000,
        '{"action": ' * 1000 + '"send"' + "}" * 1000,
    ],
)
def test_a_frame_nested_too_deep_to_parse_goes_to_default_and_the_socket_lives_on(
    gateway: WebsocketGateway, frame: str
) -> None:
    # json.loads raises RecursionError (not ValueError) on these; API Gateway routes a body
    # it cannot read as a JSON object to $default, and the connection goes on working.
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        assert echo(ws, frame)["echo"] == frame
        reply = echo(ws, json.dumps({"action": "send", "text": "still here"}))
    assert json.loads(reply["echo"]) == {"action": "send", "text": "still here"}
    event = recorded(connection_id, "$default", lambda e: e["body"] == frame)
    assert event["requestContext"]["routeKey"] == "$default"


def test_a_frame_the_gateway_fails_on_does_not_stop_the_connections_worker(
    gateway: WebsocketGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever one frame does to the gateway itself, later frames on the socket are handled.
    dispatch = WebsocketGateway._dispatch

    async def fragile(self: WebsocketGateway, conn: Any, body: str) -> None:
        if body == "break the gateway":
            raise RuntimeError("a gateway bug, on purpose")
        await dispatch(self, conn, body)

    monkeypatch.setattr(WebsocketGateway, "_dispatch", fragile)
    with open_socket(gateway) as ws:
        ws.send("break the gateway")
        assert echo(ws, "next frame")["echo"] == "next frame"


def test_messages_of_one_connection_reach_the_app_in_order(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        for number in range(20):
            ws.send(str(number))
        replies = [json.loads(ws.recv(timeout=2))["echo"] for _ in range(20)]
    assert replies == [str(number) for number in range(20)]


def test_a_failing_handler_answers_internal_server_error(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        reply = echo(ws, "boom")
    assert reply["message"] == "Internal server error"
    assert reply["connectionId"] == connection_id
    assert API_GATEWAY_ID.match(reply["requestId"])


def test_a_message_too_big_closes_with_1009(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        ws.send("x" * (128 * 1024 + 1))
        assert close_code(ws) == 1009
    event = recorded(connection_id, "$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1009


def test_a_binary_frame_closes_with_1003(gateway: WebsocketGateway) -> None:
    with open_socket(gateway) as ws:
        ws.send(b"\x00\x01")
        assert close_code(ws) == 1003


def test_a_plain_http_get_asks_for_an_upgrade(gateway: WebsocketGateway) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://{gateway.domain_name}/local", timeout=2)
    assert refused.value.code == 426


def test_an_idle_connection_is_closed_and_disconnected(aws_env: None) -> None:
    gateway = WebsocketGateway(ws_app.app, port=0, limits=GatewayLimits(idle_timeout_seconds=0.3))
    gateway.start()
    try:
        with open_socket(gateway) as ws:
            started = time.monotonic()
            assert close_code(ws) == 1001
            assert time.monotonic() - started < 1.5
        assert gateway.connection_ids() == []
    finally:
        gateway.stop()
    disconnects = [
        e
        for e in ws_app.events
        if e["requestContext"]["routeKey"] == "$disconnect"
        and e["requestContext"]["domainName"] == gateway.domain_name
    ]
    assert disconnects[-1]["requestContext"]["disconnectReason"] == "Going away"


def test_no_matching_route_answers_forbidden(aws_env: None) -> None:
    app = Chalice(app_name="connect-only")

    @app.on_ws_connect()
    def connect(event: Any) -> None:
        return None

    gateway = WebsocketGateway(app, port=0)
    gateway.start()
    try:
        with open_socket(gateway) as ws:
            reply = echo(ws, '{"action": "send"}')
            assert reply["message"] == "Forbidden"
            assert API_GATEWAY_ID.match(reply["connectionId"])
            assert API_GATEWAY_ID.match(reply["requestId"])
    finally:
        gateway.stop()


def test_stop_closes_open_sockets(aws_env: None) -> None:
    gateway = WebsocketGateway(ws_app.app, port=0)
    gateway.start()
    with open_socket(gateway) as ws:
        connection_id = connection_id_of(ws)
        gateway.stop()
        assert close_code(ws) == 1001
    # stop() returns after every $disconnect ran.
    assert recorded(connection_id, "$disconnect")["requestContext"]["disconnectStatusCode"] == 1001


def test_a_gateway_restarts_and_reports_a_taken_port(aws_env: None) -> None:
    gateway = WebsocketGateway(ws_app.app, port=0)
    gateway.start()
    gateway.stop()
    gateway.start()
    try:
        with pytest.raises(OSError):
            WebsocketGateway(ws_app.app, port=gateway.port).start()
        with open_socket(gateway) as ws:
            assert connection_id_of(ws) in gateway.connection_ids()
    finally:
        gateway.stop()
