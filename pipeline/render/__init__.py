"""Render: a draft becomes the issue email (HTML + text), its web page, and the site with feeds.

Contract with the send stage: the rendered email's HTML and text hold the literal
``UNSUBSCRIBE_PLACEHOLDER`` wherever the per-subscriber unsubscribe URL goes; the sender
fills it in per subscriber without rendering again.
"""

UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/LINKLETTER-UNSUBSCRIBE-URL"
