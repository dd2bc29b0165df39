"""Where ``app.websocket_api`` sends: the local gateway, or what Chalice derives in AWS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Chalice stays out of this module's import
    from chalice.app import WebsocketAPI


def configure_websocket_api(
    websocket_api: WebsocketAPI, endpoint_url: str | None, session: Any
) -> None:
    """Give ``websocket_api`` its boto3 session and, locally, the gateway's endpoint.

    On every websocket event Chalice calls ``configure_from_api_id(api_id, stage)``, which builds
    ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``; ``configure()`` only builds
    https URLs; neither accepts an endpoint. Both return early once an endpoint is set, so
    pinning one here (Chalice has no setter for it) makes them no-ops and every ``send()`` /
    ``close()`` reaches the local gateway. In AWS (``endpoint_url`` None) Chalice's own
    behaviour stays; a handler that is not a websocket handler (a stream or queue consumer)
    must then call ``configure_from_api_id(api_id, stage)`` before it can send.
    """
    websocket_api.session = session
    if endpoint_url:
        websocket_api._endpoint = endpoint_url.rstrip("/")
        websocket_api._client = None  # a client built earlier points at the old endpoint
