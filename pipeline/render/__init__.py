"""Render: a draft becomes the issue email (HTML + text), its web page, and the site with feeds.

Contract with the send stage: the rendered email's HTML and text hold the ``unsubscribe_url``
they are given wherever the per-subscriber unsubscribe URL goes: for a send, a random marker
made per issue (``send/freeze.py``), which the sender fills in per subscriber without rendering
again; for previews, the inert public ``UNSUBSCRIBE_PLACEHOLDER``.

The modules, in the order data flows through them:

- ``issue``: ``prepare(nl, draft)``, the prepared issue: the one owner of what a draft contains,
  parsed once, taken by the check, the render, the snapshot and the send;
- ``markdown``: the draft body → sanitized HTML (markdown-it, the one parser); ``cites``: the
  links, quotes, images and attributions read off the same tree; ``plaintext``: the text part;
- ``templates``: Jinja2 lookup (the folder's ``templates/`` over the shipped ones), errors with file:line;
- ``email``: ``email_from``/``render_issue`` and the system mails' content (MJML via mjml-python);
- ``site``: ``build_site``, the issue pages, the RSS and Atom feeds; ``archive``: a sent issue as it
  was mailed (and its recorded corrections); ``publish``: the rebuild after a send;
- ``writer``: all output, rendered first and then written atomically;
- ``outputs``: ``write_issue_files`` for ``linkletter render``.
"""

UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/LINKLETTER-UNSUBSCRIBE-URL"
