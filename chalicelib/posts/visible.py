"""Which posts a viewer may see: the posts half of the visibility policy.

A post shows once it is ready, to whoever may see its author's content
(``graph.visibility.may_see_content``: not across a block; a private account's for its
approved followers); its author sees it in every state. ``look`` fetches, for a whole page,
the posts, their authors and the edges between the viewer and each author in one BatchGetItem
(two when the authors are not known yet), and answers from those facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chalicelib.accounts import standing
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Key, batch_get
from chalicelib.core.errors import NotFound
from chalicelib.graph import visibility
from chalicelib.posts.models import Post
from chalicelib.posts.status import READY


def may_see_post(
    viewer_id: str, post: Post, author: User | None, relationship: visibility.Relationship
) -> bool:
    if post.author_id == viewer_id:
        return True
    # A suspended author's posts are hidden while it lasts, then back (``accounts.standing``).
    if author is None or not standing.shown(author) or post.status != READY:
        return False
    return visibility.may_see_content(viewer_id, author, relationship)


class PostSight(visibility.Sight):
    """``Sight``, and the posts the viewer may see among those fetched."""

    def post(self, post_id: str) -> Post | None:
        post = self.found.get((Post, post_id, None))
        if not isinstance(post, Post):
            return None
        author = self.found.get((User, post.author_id, None))
        relationship = self.relationship(post.author_id)
        if not may_see_post(self.viewer_id, post, author, relationship):  # type: ignore[arg-type]
            return None
        return post


def look(
    viewer_id: str,
    users: Iterable[str] = (),
    posts: Iterable[tuple[str, str | None]] = (),
    extra: Iterable[Key] = (),
) -> PostSight:
    """The facts for these accounts and posts (``(post_id, author_id or None)``), and any
    ``extra`` keys the caller wants in the same batch."""
    return look_for([viewer_id], users, posts, extra)[viewer_id]


def look_for(
    viewer_ids: Iterable[str],
    users: Iterable[str] = (),
    posts: Iterable[tuple[str, str | None]] = (),
    extra: Iterable[Key] = (),
) -> dict[str, PostSight]:
    """``look`` for several viewers at once (the members of a conversation). Posts whose
    author is known cost nothing more; otherwise the posts are read first."""
    refs = list(posts)
    found: dict[Key, object] = {}
    if any(author is None for _, author in refs):
        found.update(batch_get([(Post, post_id, None) for post_id, _ in refs]))
        refs = [(post_id, author or _author(found, post_id)) for post_id, author in refs]
    authors = [author for _, author in refs if author]
    extra = [*((Post, post_id, None) for post_id, _ in refs), *extra]
    facts = visibility.look_for(viewer_ids, [*users, *authors], extra, known=found)
    return {viewer: PostSight(viewer, sight.found) for viewer, sight in facts.items()}


def get(viewer_id: str, post_id: str) -> Post:
    """The post, if the viewer may see it; 404 otherwise, without saying why."""
    post = look(viewer_id, posts=[(post_id, None)]).post(post_id)
    if post is None:
        raise not_found()
    return post


def not_found() -> NotFound:
    return NotFound("No such post", code="post_not_found")


def _author(found: Mapping[Key, object], post_id: str) -> str | None:
    post = found.get((Post, post_id, None))
    return post.author_id if isinstance(post, Post) else None
