"""Posting a story (``POST /stories``) and deleting it. A story takes an upload slot (a photo
or a video) and is ``processing`` until the media function stores its 9:16 renditions; the
stories stream then puts it in its readers' trays (``tray``). It lives
``story_lifetime_seconds`` from posting."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError

from chalicelib.core import storage, uploads
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.core.ids import new_id
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.stories.audience import AUDIENCES, EVERYONE
from chalicelib.stories.media import PHOTO, PROCESSING, VIDEO
from chalicelib.stories.models import Highlight, Story

ID_MAX = 64
TEXT_MAX = 200


def create(
    author_id: str, upload_id: object, audience: object = EVERYONE, text: object = None
) -> Story:
    """The caller's unused photo or video upload becomes a story, in one transaction with its
    slot (a file already uploaded is queued again). ``text``: its words; the accounts it @mentions
    hear of it once it is ready, if they may see it (``mentions``)."""
    if not isinstance(upload_id, str) or not upload_id or len(upload_id) > ID_MAX:
        raise ValidationError("upload_id must be the id of an upload", field="upload_id")
    if audience not in AUDIENCES:
        raise ValidationError(f"audience must be one of {', '.join(AUDIENCES)}", field="audience")
    if text is not None and (not isinstance(text, str) or len(text) > TEXT_MAX):
        raise ValidationError(f"text must be at most {TEXT_MAX} characters", field="text")
    # The slot's declared type says photo or video (the client shows a processing story by
    # it); the bytes decide what the file really is, and the media function refuses a
    # mismatch. The transaction's condition below checks the slot again: this read decides
    # nothing about who may take it.
    upload = _upload(upload_id)
    story_id = new_id()
    created = datetime.now(UTC)
    story = Story(
        story_id,
        author_id=author_id,
        upload_id=upload_id,
        audience=audience,
        status=PROCESSING,
        type=VIDEO if upload is not None and uploads.is_video(upload.content_type) else PHOTO,
        text=text or None,
        created_at=int(created.timestamp() * 1000),
        expires_at=datetime.fromtimestamp(
            created.timestamp() + settings().story_lifetime_seconds, UTC
        ),
    )
    try:
        with Transaction() as write:
            write.update(
                Upload(upload_id),
                actions=[Upload.story_id.set(story_id)],
                condition=uploads.free_for(author_id),
                label="upload",
            )
            write.save(story, condition=Story.story_id.does_not_exist())
    except TransactionCancelled as cancelled:
        if "upload" in cancelled.failed:
            raise ValidationError(
                f"Upload {upload_id} does not exist, is not yours or is already used",
                code="invalid_upload",
                field="upload_id",
            ) from None
        raise
    uploads.requeue_arrived([upload_id])
    return story


def get(story_id: str) -> Story:
    """The story, live or not (the caller decides who may see it); 404 if there is none."""
    if not story_id or len(story_id) > ID_MAX:
        raise _not_found()
    try:
        return Story.get(story_id, consistent_read=True)
    except Story.DoesNotExist:
        raise _not_found() from None


def delete(author_id: str, story_id: str) -> None:
    """The author's story goes (its trays and files follow through the stories stream);
    anyone else's, or none, is 404: whether a story exists is not told to others."""
    if not story_id or len(story_id) > ID_MAX:
        raise _not_found()
    try:
        Story(story_id).delete(condition=Story.author_id == author_id)
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise _not_found() from None
        raise


def take_down(author_id: str, story_id: str) -> None:
    """A moderator's removal: the story and a highlight keeping it, with their files. The
    highlight goes first, so the stories stream, seeing the story go, takes the files; a
    story expired already leaves only the highlight's."""
    try:
        kept: Highlight | None = Highlight.get(author_id, story_id)
    except Highlight.DoesNotExist:
        kept = None
    if kept is not None:
        kept.delete()
    try:
        delete(author_id, story_id)
    except NotFound:
        if kept is not None:
            storage.delete_media(r.key for r in kept.renditions or [])


def _upload(upload_id: str) -> Upload | None:
    try:
        return Upload.get(upload_id, consistent_read=True)
    except Upload.DoesNotExist:
        return None


def _not_found() -> NotFound:
    return NotFound("No such story", code="story_not_found")
