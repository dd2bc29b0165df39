"""Posts and what hangs off them: writing them, their media through the pipeline and its
deadline, likes, comments, saves, captions, uploads, and the post card read model."""
