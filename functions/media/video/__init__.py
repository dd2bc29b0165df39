"""Video uploads for the media function: probed and checked (``probe``), transcoded to MP4
renditions in one decoding pass (``transcode``), a poster frame chosen (``poster``), all put
together by ``pipeline.process_video``. docs/media.md explains each choice."""
