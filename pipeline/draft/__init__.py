"""Drafts: the author's Markdown issues in ``drafts/``. ``format`` reads and updates them
(``bounds`` refuses what would exhaust a parser); ``assemble`` appends new picks to the open
draft, each written by ``blocks``."""
