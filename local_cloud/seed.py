"""The demo dataset (``make run SEED=1``): a few people who follow each other.

Created over the public API, as the app would, so the data obeys every rule of the real code.
Running it twice is harmless: existing users are signed in instead of registered.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

log = logging.getLogger("local_cloud.seed")

PASSWORD = "glimpse-demo-1"

PEOPLE = [
    # username, full name, bio, private
    ("alice", "Alice Martin", "Film photography and long walks.", False),
    ("bob", "Bob Okafor", "Street photos, mostly Lagos.", False),
    ("carol", "Carol Nguyen", "Coffee, cats, Saigon.", False),
    ("dave", "Dave Kowalski", "Mountains when I can.", False),
    ("erin", "Erin Walsh", "Friends only.", True),
]

# who follows whom; erin is private, so following her is a request she approves.
FOLLOWS = [
    ("alice", "bob"),
    ("bob", "alice"),
    ("carol", "alice"),
    ("dave", "alice"),
    ("alice", "carol"),
    ("erin", "alice"),
    ("alice", "erin"),
    ("bob", "erin"),
]
APPROVED = [("erin", "alice")]  # erin approves alice; bob's request stays pending


class _Client:
    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(
            method, self.api_url + path, json=body, headers=headers, timeout=30
        )
        if response.status_code >= 400 and response.status_code != 409:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response


def run(api_url: str) -> dict[str, str]:
    """Creates the dataset; returns each user's access token."""
    client = _Client(api_url)
    tokens: dict[str, str] = {}
    for username, full_name, bio, private in PEOPLE:
        registered = client.call(
            "POST",
            "/auth/register",
            {
                "username": username,
                "email": f"{username}@example.com",
                "password": PASSWORD,
            },
        )
        if registered.status_code == 409:  # seeded before: sign in
            registered = client.call(
                "POST", "/auth/login", {"login": username, "password": PASSWORD}
            )
        tokens[username] = registered.json()["access_token"]
        client.call(
            "PATCH",
            "/me",
            {"full_name": full_name, "bio": bio, "is_private": private},
            token=tokens[username],
        )
    for follower, followee in FOLLOWS:
        client.call("POST", f"/users/{followee}/follow", token=tokens[follower])
    for owner, requester in APPROVED:
        client.call("POST", f"/me/follow-requests/{requester}", token=tokens[owner])
    log.info("seeded %s (password %r)", ", ".join(name for name, *_ in PEOPLE), PASSWORD)
    return tokens
