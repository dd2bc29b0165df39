from chalicelib.connections import registry


class FakeGateway:
    """Stands in for API Gateway's @connections API: some connections are live, others gone."""

    def __init__(self, live: set[str]) -> None:
        self.live = live
        self.sent: list[tuple[str, str]] = []

    def send(self, connection_id: str, payload: str) -> None:
        if connection_id not in self.live:
            raise registry.Gone(connection_id)
        self.sent.append((connection_id, payload))


def test_an_event_reaches_every_device_and_gone_ones_are_forgotten(aws) -> None:
    registry.register("user-a", "session-1", "phone")
    registry.register("user-a", "session-1", "tablet")
    registry.register("user-a", "session-1", "old-laptop")
    registry.register("user-b", "session-1", "other")
    gateway = FakeGateway(live={"phone", "tablet", "other"})
    assert registry.push("user-a", {"type": "post.ready"}, gateway.send) == 2
    assert sorted(c for c, _ in gateway.sent) == ["phone", "tablet"]
    assert gateway.sent[0][1] == '{"type":"post.ready"}'
    assert sorted(registry.live(["user-a"])["user-a"]) == ["phone", "tablet"]


def test_disconnect_forgets_the_connection(aws) -> None:
    registry.register("user-c", "session-1", "c1")
    registry.register("user-c", "session-1", "c2")
    registry.forget("c1")
    registry.forget("never-registered")
    assert registry.live(["user-c"])["user-c"] == {"c2"}


def test_without_a_websocket_endpoint_notify_is_a_no_op(aws) -> None:
    registry.register("user-d", "session-1", "d1")
    assert registry.notify("user-d", {"type": "post.ready"}) == 0
