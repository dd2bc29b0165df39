"""Photo processing for the media function: bytes in, renditions, placeholder and faces out.

``pipeline.process`` is the entry point; docs/media.md describes each step and its limits.
Nothing here knows about AWS or the app: it takes bytes and returns plain values.
"""
