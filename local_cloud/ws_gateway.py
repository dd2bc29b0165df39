"""A local stand-in for an API Gateway websocket API in front of a Chalice app.

Chalice has no local websocket server, so this gateway plays API Gateway's part on one port:

- a websocket upgrade on any path runs the app's ``$connect`` handler with the event API
  Gateway would send (a non-2xx answer or an exception refuses the handshake), every text
  frame is routed on ``$request.body.action`` (falling back to ``$default``), and a closed
  socket runs ``$disconnect``;
- the ``@connections`` management API (``POST``/``GET``/``DELETE /[{stage}/]@connections/{id}``)
  answers as AWS does, so ``boto3.client("apigatewaymanagementapi")`` and
  ``app.websocket_api.send()`` reach the real socket.

The event shapes follow events captured from API Gateway (Powertools' test events
``apiGatewayWebSocketApi{Connect,Message,Disconnect}.json``); limits and error behaviour follow
the API Gateway developer guide ("Quotas for configuring and running a WebSocket API",
"Binary media types for WebSocket APIs"). Handlers run in a thread pool as Lambda would run
them, never on the event loop, and the messages of one connection reach the app in order.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiohttp import WSMsgType, web

from local_cloud.lambda_context import LambdaContext

log = logging.getLogger(__name__)

# Frames and messages bigger than this make API Gateway close the socket with 1009. aiohttp
# assembles fragments before we see them, so only the message limit is enforced here; API
# Gateway also refuses single frames over 32 KB (clients rarely fragment: keep messages small).
MAX_MESSAGE_BYTES = 128 * 1024
FRAME_BYTES_DOCUMENTED = 32 * 1024

# Bodies nesting deeper are routed to $default unparsed (WebsocketRoutes.select_route).
ROUTING_DEPTH = 200
_JSON_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_OPENING_OR_CLOSING = re.compile(r"[\[\]{}]")

# Hop-by-hop headers of the handshake that API Gateway does not pass on to $connect.
_HOP_BY_HOP = {"connection", "upgrade"}

_CLOSE_REASONS = {
    1000: "Connection Closed Normally",
    1001: "Going away",
    1003: "Unsupported data",
    1005: "Client-side close frame status not set",
    1006: "Connection closed abnormally",
    1009: "Message too big",
}


@dataclass(frozen=True)
class GatewayLimits:
    """API Gateway's non-adjustable websocket quotas; shrink them to test timeouts quickly."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    # Only frames from the client count as activity, so clients must keep-alive themselves.
    idle_timeout_seconds: float = 10 * 60
    max_connection_seconds: float = 2 * 60 * 60


def new_id() -> str:
    """An id shaped like API Gateway's connection and request ids (e.g. ``BFaT_fALIAMCKug=``)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _epoch_ms() -> int:
    return int(time.time() * 1000)


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


@dataclass
class Connection:
    """One live client socket and what API Gateway remembers about it."""

    connection_id: str
    source_ip: str
    user_agent: str | None
    connected_at: int = field(default_factory=_epoch_ms)
    last_active_at: int = field(default_factory=_epoch_ms)
    # Frames wait here for the connection's single worker: that keeps them in order.
    inbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue, repr=False)
    # Why the socket closed, as $disconnect reports it; the first cause recorded wins.
    close_status: tuple[int, str] | None = None
    ws: web.WebSocketResponse = field(init=False, repr=False)
    _opened: float = field(default_factory=time.monotonic)
    _last_frame: float = field(default_factory=time.monotonic)

    @property
    def is_live(self) -> bool:
        return self.close_status is None and not self.ws.closed

    def touch(self) -> None:
        self.last_active_at = _epoch_ms()
        self._last_frame = time.monotonic()

    def seconds_left(self, limits: GatewayLimits) -> float:
        now = time.monotonic()
        idle = self._last_frame + limits.idle_timeout_seconds - now
        lifetime = self._opened + limits.max_connection_seconds - now
        return min(idle, lifetime)

    def record_close(self, code: int, reason: str = "") -> None:
        if self.close_status is None:
            self.close_status = (code, reason or _CLOSE_REASONS.get(code, ""))

    async def send(self, data: bytes | str) -> None:
        """Send one frame; raises ConnectionError when the socket is no longer open."""
        if not self.is_live:
            raise ConnectionError(self.connection_id)
        if isinstance(data, bytes):
            try:
                data = data.decode()
            except UnicodeDecodeError:
                await self.ws.send_bytes(data)
                return
        await self.ws.send_str(data)

    async def close(self, code: int, reason: str = "") -> None:
        self.record_close(code, reason)
        await self.ws.close(code=code, message=reason.encode())


class EventBuilder:
    """Builds the events API Gateway sends to a websocket integration (Lambda proxy)."""

    def __init__(self, stage: str, api_id: str, domain_name: str) -> None:
        self.stage = stage
        self.api_id = api_id
        self.domain_name = domain_name

    def connect(self, conn: Connection, request: web.Request) -> dict[str, Any]:
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            if name.lower() not in _HOP_BY_HOP:
                headers.setdefault(name, []).append(value)
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        headers.setdefault("X-Amzn-Trace-Id", [trace])
        headers["X-Forwarded-For"] = [conn.source_ip]
        headers["X-Forwarded-Port"] = [str(request.url.port or "")]
        headers["X-Forwarded-Proto"] = [request.scheme]
        event = self._with_headers(headers)
        if request.query:
            query: dict[str, list[str]] = {}
            for name, value in request.query.items():
                query.setdefault(name, []).append(value)
            event["queryStringParameters"] = {name: vals[-1] for name, vals in query.items()}
            event["multiValueQueryStringParameters"] = query
        event["requestContext"] = self._context(conn, "$connect", "CONNECT")
        event["isBase64Encoded"] = False
        return event

    def message(self, conn: Connection, route_key: str, body: str) -> dict[str, Any]:
        context = self._context(conn, route_key, "MESSAGE")
        context = {"routeKey": route_key, "messageId": new_id(), **context}
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect(self, conn: Connection) -> dict[str, Any]:
        code, reason = conn.close_status or (1006, _CLOSE_REASONS[1006])
        # What API Gateway sends here: the API's host and a few empty headers.
        headers = {
            "Host": [self.domain_name],
            "x-api-key": [""],
            "X-Forwarded-For": [""],
            "x-restapi": [""],
        }
        event = self._with_headers(headers)
        context = self._context(conn, "$disconnect", "DISCONNECT")
        event["requestContext"] = {
            "routeKey": "$disconnect",
            "disconnectStatusCode": code,
            "disconnectReason": reason,
            **context,
        }
        event["isBase64Encoded"] = False
        return event

    @staticmethod
    def _with_headers(multi: dict[str, list[str]]) -> dict[str, Any]:
        # API Gateway's single-value view keeps the last value of a repeated header.
        return {
            "headers": {name: values[-1] for name, values in multi.items()},
            "multiValueHeaders": multi,
        }

    def _context(self, conn: Connection, route_key: str, event_type: str) -> dict[str, Any]:
        now = _epoch_ms()
        request_id = new_id()
        identity = {"sourceIp": conn.source_ip}
        if conn.user_agent:
            identity["userAgent"] = conn.user_agent
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": datetime.fromtimestamp(now / 1000, UTC).strftime(
                "%d/%b/%Y:%H:%M:%S +0000"
            ),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": conn.connected_at,
            "requestTimeEpoch": now,
            "identity": identity,
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": conn.connection_id,
            "apiId": self.api_id,
        }


class HandlerInvoker:
    """Calls the app's websocket handlers the way Lambda does: ``handler(event, context)``.

    Chalice registers each handler under ``app.websocket_handlers[route_key]``; the callable
    Lambda runs is ``app.handler_map[config.name]`` (a ``WebsocketEventSourceHandler`` that
    configures ``app.websocket_api`` and wraps the event in a ``WebsocketEvent``).
    """

    def __init__(self, app: Any, executor: ThreadPoolExecutor, stage: str, region: str) -> None:
        self._app = app
        self._executor = executor
        self._stage = stage
        self._region = region

    def has_route(self, route_key: str) -> bool:
        return route_key in self._app.websocket_handlers

    def select_route(self, body: str) -> str | None:
        """API Gateway's ``$request.body.action`` selection, falling back to ``$default``.

        Never raises: a body that is not a JSON object carrying ``action`` goes to
        ``$default``, as in API Gateway, whatever the reason it is not one (invalid JSON, a
        list, or JSON nested deeper than the parser recurses: ``"[" * 100000`` raises
        RecursionError, which is no ValueError).

        A body nesting deeper than ``ROUTING_DEPTH`` is not parsed at all: the parser would
        recurse to the interpreter's limit in the gateway's thread, where a finalizer the
        garbage collector runs at that moment fails (an unraisable RecursionError). The app
        refuses such a frame anyway (``chalicelib.core.inputs``: 32 levels)."""
        document = None
        if _nesting(body) <= ROUTING_DEPTH:
            with contextlib.suppress(Exception):  # any unreadable body is routed, not an error
                document = json.loads(body)
        action = document.get("action") if isinstance(document, dict) else None
        if isinstance(action, str) and not action.startswith("$") and self.has_route(action):
            return action
        return "$default" if self.has_route("$default") else None

    async def invoke(self, route_key: str, event: dict[str, Any]) -> Any:
        """The handler's answer, or None when no handler is registered for the route."""
        config = self._app.websocket_handlers.get(route_key)
        if config is None:
            return None
        handler = self._app.handler_map[config.name]
        function_name = f"{self._app.app_name}-{self._stage}-{config.name}"
        context = LambdaContext(function_name=function_name, region=self._region)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(handler, event, context))


class ManagementApiError(Exception):
    """An error answered the way API Gateway's @connections API answers it."""

    def __init__(self, status: int, error_type: str, message: str | None = None) -> None:
        super().__init__(error_type)
        self.status = status
        self.error_type = error_type
        self.message = message

    def response(self) -> web.Response:
        # botocore maps the x-amzn-ErrorType header to client.exceptions.<error_type>.
        return web.json_response(
            {"message": self.message},
            status=self.status,
            headers={"x-amzn-ErrorType": self.error_type},
        )


class ManagementApi:
    """``POST``/``GET``/``DELETE @connections/{connection_id}``, with or without the stage."""

    def __init__(
        self, connections: Mapping[str, Connection], stage: str, limits: GatewayLimits
    ) -> None:
        self._connections = connections
        self._stage = stage
        self._limits = limits

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.route(method, path, self.handle)
            for path in ("/@connections/{connection_id}", "/{stage}/@connections/{connection_id}")
            for method in ("POST", "GET", "DELETE")
        ]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            conn = self._lookup(request)
            if request.method == "POST":
                return await self._post(conn, request)
            if request.method == "GET":
                return web.json_response(
                    {
                        "connectedAt": _iso(conn.connected_at),
                        "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                        "lastActiveAt": _iso(conn.last_active_at),
                    }
                )
            await conn.close(1000)
            return web.Response(status=204)
        except ManagementApiError as error:
            return error.response()

    def _lookup(self, request: web.Request) -> Connection:
        stage = request.match_info.get("stage")
        if stage is not None and stage != self._stage:
            raise ManagementApiError(403, "ForbiddenException", "Forbidden")
        conn = self._connections.get(request.match_info["connection_id"])
        if conn is None or not conn.is_live:
            raise ManagementApiError(410, "GoneException")
        return conn

    async def _post(self, conn: Connection, request: web.Request) -> web.Response:
        data = await request.read()
        if len(data) > self._limits.max_message_bytes:
            raise ManagementApiError(413, "PayloadTooLargeException", "Request entity too large")
        try:
            await conn.send(data)
        except ConnectionError:
            raise ManagementApiError(410, "GoneException") from None
        return web.Response(status=200)


class WebsocketGateway:
    """Serves a Chalice app's websocket handlers and the @connections API on one port.

    ``start()`` runs the server in a background thread with its own event loop and returns
    once it listens (``port=0`` picks a free port, see ``.port``); ``stop()`` closes every
    socket (running ``$disconnect`` for each) and joins the thread.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 8001,
        stage: str = "local",
        *,
        limits: GatewayLimits | None = None,
        api_id: str = "localwsapi",
        region: str = "us-east-1",
        max_workers: int = 8,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.stage = stage
        self.api_id = api_id
        self.limits = limits or GatewayLimits()
        self._max_workers = max_workers
        self._region = region
        self._executor: ThreadPoolExecutor | None = None
        self._invoker: HandlerInvoker | None = None
        self._events: EventBuilder | None = None
        self._connections: dict[str, Connection] = {}
        self._serving: set[asyncio.Task[Any]] = set()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._endpoint_checked = False

    @property
    def domain_name(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """Where clients connect: ``ws://127.0.0.1:8001/local``."""
        return f"ws://{self.domain_name}/{self.stage}"

    @property
    def endpoint_url(self) -> str:
        """The @connections endpoint (WEBSOCKET_ENDPOINT_URL) for boto3 and app.websocket_api."""
        return f"http://{self.domain_name}/{self.stage}"

    def connection_ids(self) -> list[str]:
        return [cid for cid, conn in list(self._connections.items()) if conn.is_live]

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the gateway is already running")
        self._ready.clear()
        self._startup_error = None
        self._executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="ws-lambda")
        self._invoker = HandlerInvoker(self.app, self._executor, self.stage, self._region)
        self._thread = threading.Thread(target=self._run, name="ws-gateway", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            self._executor.shutdown()
            raise self._startup_error
        log.info("websocket gateway on %s (@connections at %s)", self.url, self.endpoint_url)

    def stop(self) -> None:
        if self._thread is None:
            return
        assert self._loop is not None and self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._thread = None
        assert self._executor is not None
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            runner = await self._listen()
        except BaseException as error:  # start() raises it in the caller's thread
            self._startup_error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stopping.wait()
            for conn in list(self._connections.values()):
                if conn.is_live:
                    await conn.close(1001)
            if self._serving:  # each runs its $disconnect before it ends
                await asyncio.wait(self._serving, timeout=5)
        finally:
            await runner.cleanup()

    async def _listen(self) -> web.AppRunner:
        # Binding the socket ourselves is how we learn the port when asked for port 0.
        sock = socket.create_server((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._events = EventBuilder(self.stage, self.api_id, self.domain_name)
        server = web.Application(client_max_size=2 * self.limits.max_message_bytes)
        management = ManagementApi(self._connections, self.stage, self.limits)
        server.add_routes(management.routes())
        server.add_routes([web.get("/{path:.*}", self._handle_upgrade)])
        runner = web.AppRunner(server, access_log=None, shutdown_timeout=1.0)
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        return runner

    async def _handle_upgrade(self, request: web.Request) -> web.StreamResponse:
        assert self._events is not None
        probe = web.WebSocketResponse()
        if not probe.can_prepare(request).ok:
            return web.json_response({"message": "Upgrade Required"}, status=426)
        conn = Connection(
            connection_id=new_id(),
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent"),
        )
        try:
            answer = await self._invoke("$connect", self._events.connect(conn, request))
        except Exception:
            log.exception("$connect handler failed; refusing %s", conn.connection_id)
            return web.json_response({"message": "Internal server error"}, status=502)
        answer = answer if isinstance(answer, dict) else {}
        status = int(answer.get("statusCode", 200))
        if not 200 <= status < 300:
            log.info("$connect refused %s with %s", conn.connection_id, status)
            return web.Response(status=status, text=str(answer.get("body") or ""))
        self._check_send_endpoint()
        # A subprotocol is only agreed when $connect answers with it, as in API Gateway.
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        protocol = headers.get("sec-websocket-protocol")
        conn.ws = web.WebSocketResponse(
            protocols=(protocol,) if protocol else (),
            max_msg_size=self.limits.max_message_bytes,
            # API Gateway does not negotiate permessage-deflate.
            compress=False,
            timeout=2.0,
        )
        await conn.ws.prepare(request)
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        self._connections[conn.connection_id] = conn
        log.info("connected %s from %s", conn.connection_id, conn.source_ip)
        try:
            await self._serve(conn)
        finally:
            self._serving.discard(task)
        return conn.ws

    async def _serve(self, conn: Connection) -> None:
        worker = asyncio.create_task(self._work(conn))
        try:
            await self._read(conn)
        finally:
            self._connections.pop(conn.connection_id, None)
            conn.record_close(1006)
            # Frames already received still reach the app, then $disconnect: AWS's order.
            conn.inbox.put_nowait(None)
            await worker
            await self._disconnect(conn)

    async def _read(self, conn: Connection) -> None:
        while True:
            try:
                msg = await conn.ws.receive(timeout=max(conn.seconds_left(self.limits), 0.001))
            except TimeoutError:
                await conn.close(1001)  # idle timeout or maximum connection duration
                return
            if msg.type is WSMsgType.TEXT:
                conn.touch()
                conn.inbox.put_nowait(msg.data)
            elif msg.type is WSMsgType.BINARY:
                # API Gateway rejects binary frames from clients and disconnects with 1003.
                await conn.close(1003)
                return
            elif msg.type is WSMsgType.CLOSE:
                code = msg.data or 1005  # aiohttp reports a close frame without status as 0
                conn.record_close(code, msg.extra or "")
                return
            elif msg.type is WSMsgType.ERROR:
                # aiohttp already closed the socket with the error's code (1009: too big).
                code = getattr(msg.data, "code", None) or 1006
                conn.record_close(code, _CLOSE_REASONS.get(code, str(msg.data)))
                return
            else:  # CLOSING (we closed it) or CLOSED (the peer vanished)
                return

    async def _work(self, conn: Connection) -> None:
        while (body := await conn.inbox.get()) is not None:
            # One bad frame must not end this loop: it is the connection's only worker, and
            # every later frame on the socket would wait in the inbox forever, unanswered.
            try:
                await self._dispatch(conn, body)
            except Exception:
                log.exception(
                    "frame on %s not handled; the connection carries on", conn.connection_id
                )

    async def _dispatch(self, conn: Connection, body: str) -> None:
        assert self._events is not None
        assert self._invoker is not None
        route_key = self._invoker.select_route(body)
        event = self._events.message(conn, route_key or "$default", body)
        request_id = event["requestContext"]["requestId"]
        if route_key is None:
            await self._reply(conn, "Forbidden", request_id)
            return
        try:
            await self._invoke(route_key, event)
        except Exception:
            log.exception("%s handler failed for %s", route_key, conn.connection_id)
            await self._reply(conn, "Internal server error", request_id)

    async def _invoke(self, route_key: str, event: dict[str, Any]) -> Any:
        assert self._invoker is not None
        return await self._invoker.invoke(route_key, event)

    async def _reply(self, conn: Connection, message: str, request_id: str) -> None:
        """The error frame API Gateway itself sends to the client."""
        frame = {"message": message, "connectionId": conn.connection_id, "requestId": request_id}
        with contextlib.suppress(ConnectionError):  # the client left meanwhile
            await conn.send(json.dumps(frame))

    async def _disconnect(self, conn: Connection) -> None:
        assert self._events is not None
        log.info("disconnected %s (%s)", conn.connection_id, conn.close_status)
        try:
            await self._invoke("$disconnect", self._events.disconnect(conn))
        except Exception:
            log.exception("$disconnect handler failed for %s", conn.connection_id)

    def _check_send_endpoint(self) -> None:
        """Warn once when ``app.websocket_api`` would send to AWS instead of this gateway."""
        if self._endpoint_checked:
            return
        self._endpoint_checked = True
        # Chalice keeps the endpoint private; reading it is the only way to tell.
        endpoint = getattr(getattr(self.app, "websocket_api", None), "_endpoint", None)
        if endpoint and not endpoint.startswith(f"http://{self.domain_name}"):
            log.warning(
                "app.websocket_api sends to %s, not to this gateway: call "
                "configure_websocket_api() with WEBSOCKET_ENDPOINT_URL=%s",
                endpoint,
                self.endpoint_url,
            )


def _nesting(body: str) -> int:
    """How deep ``body``'s brackets nest outside JSON strings, without recursing."""
    depth = deepest = 0
    for bracket in _OPENING_OR_CLOSING.findall(_JSON_STRINGS.sub("", body)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
