"""Every setting, declared once: key -> (parser, default, one-line description).

The config file written by ``linkletter init`` and the docs are made from this table; the
:class:`pipeline.settings.Settings` fields follow it. Keys are grouped by the part of the
pipeline that reads them; add a new key to its group (and a field in the same group of Settings).
"""

from __future__ import annotations

from typing import Any, Callable

from pipeline.settings.values import (
    Schedule, as_address_form, as_allow_list, as_bool, as_bounce_address, as_database_url, as_float, as_imap_url,
    as_int, as_language, as_nonempty, as_optional_url, as_positive_int, as_secret, as_sender, as_smtp_url, as_sources,
    as_str, as_title_pattern, as_url, as_schedule,
)
from pipeline.settings.values import as_optional_secret, as_optional_sender, as_str_list

Parser = Callable[[Any, str], Any]

# key -> (parser, default, description). A default of REQUIRED means the key must be set.
REQUIRED = object()
KEYS: dict[str, tuple[Parser, Any, str]] = {
    "title": (as_nonempty, REQUIRED, "The newsletter's name, shown in every email and page."),
    "language": (as_language, "en", "Language of everything readers see besides your text: de or en."),
    "base_url": (as_url, "http://127.0.0.1:8080", "Public address of the web archive, feeds and subscribe pages."),
    "author": (as_str, "", "Your name, for feeds and page metadata."),
    "sender": (as_sender, REQUIRED, "From address of every mail, e.g. 'Weekly Reads <news@example.org>'."),
    "sources": (as_sources, (), "Feeds to poll: a list of URLs or tables { url, name, mode = inbox|auto, kind = feed|... }."),
    "schedule": (as_schedule, Schedule(), "When the main job collects and checks for drafts to send."),
    "database_url": (as_database_url, "", "SQLAlchemy URL; empty means the SQLite file linkletter.db in this folder."),
    "smtp_url": (as_smtp_url, "", "smtp://user:pass@host:587 (STARTTLS when offered), smtps://...; empty: the outbox/ folder."),
    "secret_key": (as_secret, REQUIRED, "Signs confirm and unsubscribe links. Keep it secret; changing it voids old links."),
    "collect_token": (as_str, "", "Token for the bookmarklet's POST /collect; empty: derived from secret_key."),
    "feed_items": (as_int, 20, "How many published issues the RSS and Atom feeds hold."),
    "archive_links": (as_bool, False, "Add a Web Archive link next to every cited link on the web pages."),
    "fetch_timeout": (as_float, 10.0, "Seconds to wait for a feed or page to connect and answer; a whole fetch ends after 6 times this."),
    "fetch_max_bytes": (as_int, 5_000_000, "Largest feed or page body that is read, in bytes."),
    "fetch_allow": (as_allow_list, (), "Local or private hosts that may be fetched besides your sources' own, e.g. [\"127.0.0.1\", \"intranet:8080\", \"10.0.0.0/8\"]."),
    "per_host_connections": (as_int, 2, "Parallel requests to one host while collecting."),
    "collect_concurrency": (as_int, 32, "Parallel requests in all while collecting."),
    "smtp_connections": (as_int, 4, "Parallel SMTP connections while sending."),
    "smtp_rate": (as_float, 0.0, "Messages per second at most (0: as fast as the server takes them)."),
    "dkim_domain": (as_str, "", "DKIM signing domain (d=); empty: no DKIM signature."),
    "dkim_selector": (as_str, "", "DKIM selector (s=)."),
    "dkim_key_file": (as_str, "", "Path of the PEM private key for DKIM, relative to this folder."),
    "host": (as_str, "127.0.0.1", "Address the web server listens on."),
    "port": (as_int, 8080, "Port the web server listens on."),
    "confirm_max_age": (as_int, 7 * 24 * 3600, "Seconds a confirmation link stays valid."),
    "subscribe_rate_limit": (as_int, 10, "Subscribe requests per IP address and hour."),
    "confirmation_mails_per_hour": (as_int, 100, "Confirmation mails per hour in all (a quarter of them, at least 5, "
                                               "to one domain; one per mailbox in 10 minutes). 0: no limit."),
    "send_lease_seconds": (as_int, 120, "Seconds a sending process holds an issue before another may take over."),
    # -- collect: sources, pages, highlight services (issue 13)
    "hypothesis_token": (as_str, "", "Hypothesis API token (hypothes.is/account/developer) for sources of kind hypothesis; "
                                     "empty: public annotations only."),
    "readwise_token": (as_str, "", "Readwise access token (readwise.io/access_token) for sources of kind readwise."),
    "raindrop_token": (as_str, "", "Raindrop.io test token (app.raindrop.io/settings/integrations) for sources of kind raindrop."),
    "wallabag_client_id": (as_str, "", "Wallabag API client id (your instance's Developer page) for sources of kind wallabag."),
    "wallabag_client_secret": (as_str, "", "Wallabag API client secret."),
    "wallabag_username": (as_str, "", "Wallabag user name."),
    "wallabag_password": (as_str, "", "Wallabag password (better set as LINKLETTER_WALLABAG_PASSWORD)."),
    # -- the look and voice: email, text, titles, footer (issue 14)
    "address_form": (as_address_form, "sie", "How German text addresses readers: sie (formal, \"Sie\") or du (informal, \"du\"). "
                                             "Only for language de; your own text is yours."),
    "title_pattern": (as_title_pattern, "", "Title of a new draft, with {number}, {title} (the newsletter's) and {date}, "
                                            "e.g. \"{title} No {number}\"; empty: the language's (\"{title} #{number}\", \"{title}, Ausgabe {number}\")."),
    "first_issue_number": (as_positive_int, 1, "Number of the first issue Linkletter drafts (e.g. 27 when moving in after "
                                               "26 issues elsewhere); later ones follow the highest known issue."),
    "postal_address": (as_str, "", "The sender's postal address, one line, shown in every issue's footer and on the site "
                                   "(US bulk mail needs one: CAN-SPAM)."),
    "imprint_url": (as_optional_url, "", "Address of your imprint page (German 'Impressum': who provides the "
                                         "newsletter), linked in every issue's footer and on the site."),
    # -- what comes back: bounces, complaints, inbound mail, webhooks, notify (issue 15)
    "bounce_address": (as_bounce_address, "", "Envelope sender of issue mails, e.g. bounces@news.example.org: each mail "
                       "gets its own bounces+<signed delivery>@ address (VERP) and List-Unsubscribe a mailto "
                       "unsubscribe+<token>@ the same domain; route both to 'linkletter inbound'. Empty: "
                       "bounces go to the From address."),
    "inbound_imap_url": (as_imap_url, "", "imaps://user@host of a mailbox the main job polls for bounces, complaints "
                         "and mailto unsubscribes; password in LINKLETTER_INBOUND_IMAP_PASSWORD. Empty: no polling."),
    "inbound_imap_password": (as_str, "", "The IMAP password; set it as LINKLETTER_INBOUND_IMAP_PASSWORD, not in this file."),
    "inbound_imap_folder": (as_nonempty, "INBOX", "The IMAP folder read for what came back."),
    "inbound_imap_processed_folder": (as_nonempty, "Linkletter/Processed", "Where read messages are moved once recorded."),
    "inbound_imap_interval": (as_nonempty, "5m", "How often the main job polls the IMAP mailbox (an interval such as 5m)."),
    "soft_bounce_limit": (as_int, 2, "Soft bounces (mailbox full, 4.x.x) within soft_bounce_days that suppress an address."),
    "soft_bounce_days": (as_int, 30, "The window, in days, in which soft bounces are counted."),
    "inbound_max_bytes": (as_int, 10_000_000, "Largest inbound message read (bytes); a larger one is kept cut, not parsed."),
    "reply_to": (as_optional_sender, "", "Reply-To of every mail (e.g. your own address); empty: replies go to sender."),
    "notify": (as_optional_sender, "", "Where the author hears about trouble (a send refused, failed, many bounces); empty: no mail."),
    "notify_hard_bounce_percent": (as_float, 2.0, "Mail the author when more than this percentage of a send's deliveries bounced for good."),
    "notify_complaints": (as_int, 0, "Mail the author when a send got more than this many spam complaints."),
    "webhook_max_age": (as_int, 3600, "Seconds a signed webhook call stays acceptable (older ones are refused as replays)."),
    "webhook_ses_topics": (as_str_list, (), "Amazon SNS topic ARNs whose notifications /webhooks/ses accepts; empty: endpoint off."),
    "webhook_sns_test_cert_host": (as_str, "", "Tests only: a loopback host:port that may serve SNS signing certificates over http."),
    "webhook_postmark_secret": (as_optional_secret, "", "Password Postmark sends (basic auth in the webhook URL) to /webhooks/postmark; empty: off."),
    "webhook_sendgrid_public_key": (as_str, "", "SendGrid Event Webhook verification key (base64, as SendGrid shows it); empty: off."),
    "webhook_mailgun_signing_key": (as_str, "", "Mailgun HTTP webhook signing key; empty: /webhooks/mailgun off."),
    "webhook_generic_secret": (as_optional_secret, "", "HMAC-SHA256 key of the generic signed JSON webhook /webhooks/generic; empty: off."),
    # -- moving in: subscriber and archive imports (issue 16)
    # -- the author's desk, stats, click counts (issue 17)
    "click_counts": (as_bool, False, "Count how often each link of a mailed issue is followed, in total (links in the HTML part "
                                   "go through /r/ on base_url; nothing per person, no open tracking). Off: mailed links are yours as written."),
}
