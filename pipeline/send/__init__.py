"""Sending: the issue to every active subscriber, exactly once each, and every other mail.

- ``campaign``: the flow of a send in named phases (gate, coordinate or join, start workers,
  supervise, finish), ``send_issue``;
- ``freeze``: the pre-send check, the rendering with a per-issue unsubscribe marker, freezing
  and enqueueing; ``status``: ``send_test``, ``count_would_send``, ``send_status``;
- ``workers``: connection threads and worker processes that claim, send and record;
- ``message``: the one mail builder (the per-issue MIME template, personalized per
  subscriber, and single system mails); ``headers``: the one formatter of addresses and header
  values (no controls, before or after decoding and folding);
- ``pool``: a reused SMTP connection that pipelines prebuilt messages; ``single``: one message
  through the same connection code and signer, or into the file outbox; ``transports``: SMTP
  URLs, connecting, the outbox;
- ``recorder``: group commit of every outcome; ``identity``: owners and their liveness;
- ``dkim``: the one DKIM signer.
"""
