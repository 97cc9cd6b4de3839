"""Strip credentials from URLs (package origins, git remotes) before they are recorded."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from mlwork_jupyter.provenance.secrets import mask_text


def clean_url(url: str) -> str:
    """Drop ``user:password@`` from a URL and mask whatever else looks secret in it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    if parts.scheme and "@" in parts.netloc:
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return mask_text(url)
