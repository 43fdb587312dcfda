"""What comes back: bounces (DSNs in every format real MTAs write), complaints (ARF), mailto
unsubscribes and auto-replies, by pipe (``linkletter inbound``), IMAP (the main job) or the
provider webhooks; every way in ends in :func:`record_event`, which stores a ``MailEvent`` and
applies the suppression rules.

- ``addresses.py``: the bounce address per delivery (VERP) and the mailto unsubscribe address;
- ``classify.py``: what a message is (bounded, never trusted);
- ``receive.py``: :func:`receive_message`, one message in;
- ``record.py``: :func:`record_event`, one classified event in (webhooks call it directly);
- ``imap.py``: the mailbox poll.
"""

from pipeline.inbound.addresses import (read_message_id, read_tag, unsubscribe_address, unsubscribe_mailto,
                                        verp_address)
from pipeline.inbound.record import MAX_REASON, InboundEvent, RecordResult, event_key, record_event
from pipeline.inbound.receive import InboundResult, receive_message

__all__ = ["MAX_REASON", "InboundEvent", "InboundResult", "RecordResult", "event_key", "read_message_id", "read_tag",
           "receive_message", "record_event", "unsubscribe_address", "unsubscribe_mailto", "verp_address"]
