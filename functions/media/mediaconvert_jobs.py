"""Videos heavier than one function run takes on (``VIDEO_FUNCTION_BUDGET``), handed to AWS
Elemental MediaConvert when the stack has it on (``settings().mediaconvert_on``), and the
job's end recorded as the media function records its own work.

``submit``: a ``CreateJob`` from the stack's job template (infra/template.yaml
``MediaConvertJobTemplate``: H.264/AAC MP4s, fast start) with this video's input, its two
rendition boxes and its destination under the post's prefix; the item stays ``processing``.
``job_state_changed``: EventBridge's "MediaConvert Job State Change" (COMPLETE or ERROR, the
``MediaConvertJobStateChange`` rule) to the item's renditions, poster and duration and the
post ready, through ``chalicelib.posts.media`` as the local path does; or to the item failed
with the job's error. The job's ``UserMetadata`` says which item it was for.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.connections import registry
from chalicelib.core import clients, storage
from chalicelib.core.clients import client
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.posts import media
from chalicelib.posts.models import FaceBox, Post, PostImage, Rendition
from chalicelib.posts.status import PROCESSING, READY
from video.pipeline import poster_of_rendition
from video.probe import Probe, VideoRejected
from video.transcode import SIZES, box

# The job template's outputs, in its order: the name modifier MediaConvert appends to the
# destination's base name ("video-720p.mp4"), and the rendition it is.
OUTPUTS = {"720p": "-720p", "480p": "-480p"}
BASE_NAME = "video"
APPLICATION = "glimpse"
SUBMITTED, RECORDED, FAILED, IGNORED = "submitted", "recorded", "failed", "ignored"
# What an ERROR job without a message fails its item with.
CONVERSION_FAILED = "The video could not be converted; try a shorter or smaller one"


def submit(upload: Upload, post_id: str, index: int, bucket: str, key: str, facts: Probe) -> str:
    """Hands the video at ``bucket/key`` to MediaConvert; returns the job's id."""
    s = settings()
    width, height = facts.upright
    destination = f"s3://{s.media_bucket}/{prefix(post_id, index)}/{BASE_NAME}"
    outputs = []
    for name, modifier in OUTPUTS.items():
        # The template's boxes are landscape and fixed; the job gives each output this
        # video's own box (proportions kept, turned with it, never upscaled), as ``transcode``
        # does, so a portrait phone video is not letterboxed into a landscape frame.
        w, h = box(width, height, name)
        outputs.append({"NameModifier": modifier, "VideoDescription": {"Width": w, "Height": h}})
    job = clients.mediaconvert().create_job(
        JobTemplate=s.mediaconvert_job_template,
        Role=s.mediaconvert_role_arn,
        # One job per uploaded object: a retried message (the function died after CreateJob)
        # gets the job already made rather than a second one.
        ClientRequestToken=hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest(),
        UserMetadata={
            # What the completion rule matches (infra/template.yaml): this stage's jobs only.
            "application": APPLICATION,
            "stage": s.stage,
            "post_id": post_id,
            "index": str(index),
            "upload_id": upload.upload_id,
            "upload_key": key,
            # The upright size the item shows, as the local path records it (the outputs are
            # bounded by their boxes).
            "width": str(width),
            "height": str(height),
            "duration_ms": str(round(facts.duration_s * 1000)),
        },
        Settings={
            "Inputs": [
                {
                    "FileInput": f"s3://{bucket}/{key}",
                    # Phones store portrait video landscape with a display matrix: applied to
                    # the pixels, as the local path does.
                    "VideoSelector": {"Rotate": "AUTO"},
                    "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}},
                }
            ],
            "OutputGroups": [
                {
                    "Name": "renditions",
                    "OutputGroupSettings": {
                        "Type": "FILE_GROUP_SETTINGS",
                        "FileGroupSettings": {"Destination": destination},
                    },
                    "Outputs": outputs,
                }
            ],
        },
    )["Job"]
    logger.info(
        "video handed to MediaConvert",
        extra={"key": key, "job_id": job["Id"], "post_id": post_id, "index": index},
    )
    return str(job["Id"])


def prefix(post_id: str, index: int) -> str:
    """Where an item's media go: under the post's prefix, which deletions remove."""
    return f"posts/{post_id}/{index}"


def is_job_event(event: dict[str, Any]) -> bool:
    return (
        event.get("source") == "aws.mediaconvert"
        and event.get("detail-type") == "MediaConvert Job State Change"
    )


def job_state_changed(event: dict[str, Any]) -> str:
    """One "MediaConvert Job State Change" event. EventBridge delivers at least once: an
    item no longer processing (recorded or failed by the first delivery) is left alone."""
    detail = event["detail"]
    metadata = detail.get("userMetadata") or {}
    status = detail.get("status")
    ours = metadata.get("application") == APPLICATION and metadata.get("stage") == settings().stage
    if status not in ("COMPLETE", "ERROR") or not ours or "post_id" not in metadata:
        # Not this stage's (the rule filters them out already), or a progress update.
        logger.info("MediaConvert event skipped", extra={"job_id": detail.get("jobId")})
        return IGNORED
    post_id, index = metadata["post_id"], int(metadata["index"])
    try:
        post = Post.get(post_id, consistent_read=True)
    except DoesNotExist:
        post = None
    if post is None or index >= len(post.images):
        # Deleted while MediaConvert worked: what it wrote under the prefix goes too.
        storage.delete_media(_output_keys(detail))
        return IGNORED
    item = post.images[index]
    if item.upload_id != metadata["upload_id"] or item.status != PROCESSING:
        return IGNORED
    if status == "ERROR":
        # The user reads our reason; MediaConvert's message names buckets and keys, so it
        # goes to the log, for operators.
        reason = CONVERSION_FAILED
        logger.warning(
            "MediaConvert job failed",
            extra={
                "job_id": detail.get("jobId"),
                "code": detail.get("errorCode"),
                "error_message": detail.get("errorMessage"),
            },
        )
        if media.record_failure(post_id, index, reason):
            registry.notify(
                post.author_id, {"type": "post.failed", "post_id": post_id, "reason": reason}
            )
        return FAILED
    try:
        image = _completed(post_id, index, metadata, detail)
    except VideoRejected as rejected:
        # The job says COMPLETE but its 720p output does not decode: nothing to show.
        if media.record_failure(post_id, index, rejected.reason):
            registry.notify(
                post.author_id,
                {"type": "post.failed", "post_id": post_id, "reason": rejected.reason},
            )
        return FAILED
    if media.record_image(post_id, index, image) == READY:
        registry.notify(post.author_id, {"type": "post.ready", "post_id": post_id})
    return RECORDED


def _completed(
    post_id: str, index: int, metadata: dict[str, str], detail: dict[str, Any]
) -> PostImage:
    s = settings()
    outputs = _outputs(detail)
    renditions = []
    for name in SIZES:
        key, output = outputs[name]
        video = output.get("videoDetails", {})
        size = client("s3").head_object(Bucket=s.media_bucket, Key=key)["ContentLength"]
        renditions.append(
            Rendition(
                name=name,
                key=key,
                width=int(video["widthInPx"]),
                height=int(video["heightInPx"]),
                bytes=int(size),
            )
        )
    # The poster from MediaConvert's 720p output with the local path's own rule (not blank,
    # not blurred, faces first) rather than a frame capture output: one rule for every video,
    # and the photo pipeline's renditions, faces and placeholder with it.
    with tempfile.TemporaryDirectory(prefix="mediaconvert-") as scratch:
        path = Path(scratch) / "720p.mp4"
        body = client("s3").get_object(Bucket=s.media_bucket, Key=outputs["720p"][0])["Body"]
        with path.open("wb") as file:
            shutil.copyfileobj(body, file, 1024 * 1024)
        poster, chosen = poster_of_rendition(path, s.face_detector)
    logger.info(
        "video poster chosen",
        extra={"post_id": post_id, "index": index, "at_s": chosen.time_s, "by": chosen.reason},
    )
    stored = media.store_jpegs(f"{prefix(post_id, index)}/poster", poster.renditions)
    duration_ms = outputs["720p"][1].get("durationInMs") or metadata["duration_ms"]
    return PostImage(
        upload_id=metadata["upload_id"],
        type="video",
        status=READY,
        width=int(metadata["width"]),
        height=int(metadata["height"]),
        placeholder=poster.placeholder,
        renditions=renditions,
        duration_ms=int(duration_ms),
        poster=stored,
        faces=[FaceBox(x=f.x, y=f.y, w=f.w, h=f.h) for f in poster.faces],
    )


def _outputs(detail: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Rendition name -> (media bucket key, MediaConvert's output details), by the name
    modifier the job template gives each output."""
    found = {}
    for group in detail.get("outputGroupDetails", []):
        for output in group.get("outputDetails", []):
            for path in output.get("outputFilePaths", []):
                key = _key(path)
                for name, modifier in OUTPUTS.items():
                    if key.endswith(f"{modifier}.mp4"):
                        found[name] = (key, output)
    missing = set(OUTPUTS) - set(found)
    if missing:
        raise VideoRejected(CONVERSION_FAILED)
    return found


def _output_keys(detail: dict[str, Any]) -> list[str]:
    """What a job wrote under posts/ of this stage's media bucket."""
    bucket = settings().media_bucket
    return [
        _key(path)
        for group in detail.get("outputGroupDetails", [])
        for output in group.get("outputDetails", [])
        for path in output.get("outputFilePaths", [])
        if path.startswith(f"s3://{bucket}/posts/")
    ]


def _key(path: str) -> str:
    """The key of ``s3://<bucket>/<key>``."""
    return path.removeprefix("s3://").partition("/")[2]
