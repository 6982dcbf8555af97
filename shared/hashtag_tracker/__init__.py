"""Self-hosted TikTok hashtag campaign tracker: the domain package shipped in the Lambda layer."""

__version__ = "0.1.0"
