from chalicelib import connections


class FakeGateway:
    """Stands in for API Gateway's @connections API: some connections are live, others gone."""

    def __init__(self, live: set[str]) -> None:
        self.live = live
        self.sent: list[tuple[str, str]] = []

    def send(self, connection_id: str, payload: str) -> None:
        if connection_id not in self.live:
            raise connections.Gone(connection_id)
        self.sent.append((connection_id, payload))


def test_an_event_reaches_every_device_and_gone_ones_are_forgotten(aws) -> None:
    connections.register("user-a", "phone")
    connections.register("user-a", "tablet")
    connections.register("user-a", "old-laptop")
    connections.register("user-b", "other")
    gateway = FakeGateway(live={"phone", "tablet", "other"})
    assert connections.push("user-a", {"type": "post.ready"}, gateway.send) == 2
    assert sorted(c for c, _ in gateway.sent) == ["phone", "tablet"]
    assert gateway.sent[0][1] == '{"type":"post.ready"}'
    assert sorted(connections.live(["user-a"])["user-a"]) == ["phone", "tablet"]


def test_disconnect_forgets_the_connection(aws) -> None:
    connections.register("user-c", "c1")
    connections.register("user-c", "c2")
    connections.forget("c1")
    connections.forget("never-registered")
    assert connections.live(["user-c"])["user-c"] == {"c2"}


def test_without_a_websocket_endpoint_notify_is_a_no_op(aws) -> None:
    connections.register("user-d", "d1")
    assert connections.notify("user-d", {"type": "post.ready"}) == 0
