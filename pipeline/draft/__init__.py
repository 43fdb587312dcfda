"""Drafts: the author's Markdown issues in ``drafts/``. ``format`` reads and updates them;
``assemble`` appends new picks to the open draft."""
