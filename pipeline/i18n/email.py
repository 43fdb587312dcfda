"""The issue email's own strings (issue 14): the legal footer. None of
them addresses the reader, so none needs a du form."""

STRINGS: dict[str, dict[str, str]] = {
    "footer.imprint": {"en": "Imprint", "de": "Impressum"},
    "footer.postal_address": {"en": "Sent by {address}", "de": "Absender: {address}"},
}
