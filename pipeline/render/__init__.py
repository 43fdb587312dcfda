"""Render: a draft becomes the issue email (HTML + text), its web page, and the site with feeds.

Contract with the send stage: the rendered email's HTML and text hold the literal
``UNSUBSCRIBE_PLACEHOLDER`` wherever the per-subscriber unsubscribe URL goes; the sender
fills it in per subscriber without rendering again.

The modules, in the order data flows through them:

- ``markdown``: the draft body → sanitized HTML and readable plain text (one parse);
- ``issue``: ``prepare(nl, draft)``, the body rendered once for every output, and the issue's URL;
- ``templates``: Jinja2 lookup (the folder's ``templates/`` over the shipped ones), errors with file:line;
- ``email``: ``render_issue``, ``build_message``, ``render_system_mail`` (MJML via mjml-python);
- ``site``: ``build_site``, ``render_issue_page``, the RSS and Atom feeds;
- ``writer``: all output, rendered first and then written atomically;
- ``outputs``: ``write_issue_files`` for ``linkletter render``.
"""

UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/LINKLETTER-UNSUBSCRIBE-URL"
