"""The templates Linkletter ships: email/ (MJML and text mails), site/ (archive pages and
feeds) and web/ (subscribe pages). Installed as the data package ``pipeline.templates`` (see
pyproject.toml); a newsletter folder's own templates/ overrides them file by file."""

from pathlib import Path

# Where the shipped templates are, whichever way Linkletter was installed.
FOLDER = Path(__file__).resolve().parent
