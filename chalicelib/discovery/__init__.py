"""Hashtag and place pages: counted listings of posts, kept in step by the posts and users
streams."""
