"""Sending: the issue to every active subscriber, exactly once each.

- ``campaign``: the flow of a send (lease, freeze, enqueue, workers, finish), ``send_issue``,
  ``send_test``, ``count_would_send``, ``send_status``;
- ``workers``: connection threads and worker processes that claim, send and record;
- ``message``: the per-issue MIME template, personalized per subscriber;
- ``pool``: a reused SMTP connection that pipelines prebuilt messages;
- ``recorder``: group commit of every outcome; ``identity``: owners and their liveness;
- ``dkim``: optional DKIM signing; ``transports``: one-off mails (SMTP or the file outbox).
"""
