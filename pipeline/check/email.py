"""What the check sees in the issue's email itself (issue 14): its size (Gmail clips a
message whose HTML passes about 102 KB, hiding the rest and the unsubscribe link behind
"[Message clipped]"), and the legal footer a public send needs: a postal address (US bulk
mail, CAN-SPAM) and, for a German newsletter, an imprint (Impressum, who provides it).

A send is public when it goes to a mail server (``smtp_url`` is set); one into the outbox/
folder is a try-out, so the legal footer is not asked for there.
"""

from __future__ import annotations

from pipeline.check.report import Finding
from pipeline.errors import LinkletterError

# Gmail clips at ~102 KB of HTML; warn with room for what differs between subscribers.
SIZE_WARN_BYTES = 90 * 1024


def email_size(nl, prepared) -> int:
    """Bytes of the issue's HTML as a subscriber gets it (UTF-8, an unsubscribe URL of the real
    length in place of the placeholder)."""
    from pipeline.render.email import email_from
    from pipeline.tokens import unsubscribe_url

    longest = unsubscribe_url(nl.settings, 2**31 - 1, 2**31 - 1)
    return len(email_from(nl, prepared, unsubscribe_url=longest).html.encode("utf-8"))


def check_email(nl, prepared) -> list[Finding]:
    out: list[Finding] = []
    settings = nl.settings
    try:
        size = email_size(nl, prepared)
    except LinkletterError as e:  # a broken template: the send would fail the same way
        return [Finding("error", "email", "email-render", None, f"the email cannot be rendered: {e}")]
    if size > SIZE_WARN_BYTES:
        out.append(Finding("warning", "email", "email-size", None,
                           f"the email's HTML is {size / 1024:.0f} KB; Gmail clips messages past about 102 KB "
                           f"(keep it under {SIZE_WARN_BYTES // 1024} KB: fewer or shorter quotes)",
                           {"bytes": size, "limit": SIZE_WARN_BYTES}))
    if settings.smtp_url:  # a public send
        if not settings.postal_address:
            out.append(Finding("warning", "email", "legal-postal-address", None,
                               "no postal_address in linkletter.toml: bulk mail to US readers must show the "
                               "sender's postal address (CAN-SPAM)"))
        if settings.language == "de" and not settings.imprint_url:
            out.append(Finding("warning", "email", "legal-imprint", None,
                               "no imprint_url in linkletter.toml: a German newsletter needs an Impressum "
                               "(who provides it, with an address to reach them)"))
    return out
