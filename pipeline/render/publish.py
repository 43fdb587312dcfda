"""Publishing a sent issue: after a send, the site and the feeds are rebuilt so the issue
appears in the archive. The send command and the main job both call this one function."""

from __future__ import annotations

from pathlib import Path


def rebuild_after_send(nl) -> Path:
    """Rebuild the site after a send. Unsent drafts that cannot be read are skipped (the author
    may be editing one); a broken sent draft raises and leaves the old site in place, so an
    issue never drops out of the feeds. Returns the site folder."""
    from pipeline.render.site import build_site

    return build_site(nl, skip_unsent_broken=True)
