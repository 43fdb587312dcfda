"""Template lookup and rendering (Jinja2).

A newsletter folder's ``templates/`` overrides the shipped ``templates/`` file by file: a
template is looked up there first, then among the shipped ones. Undefined variables are
errors (StrictUndefined), and every template error becomes a :class:`TemplateError` whose
message starts with 'file:line:', like a draft error.
"""

from __future__ import annotations

import os
import traceback
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from pipeline.errors import LinkletterError
from pipeline.templates import FOLDER as TEMPLATES


class TemplateError(LinkletterError):
    """A template cannot be rendered. The message starts with 'file:line:'."""

    def __init__(self, path, line: int | None, message: str):
        self.path, self.line, self.reason = path, line, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")


class OverrideLoader(jinja2.BaseLoader):
    """Looks a template up in each folder in turn. A cached template is stale when its file
    changed or when a file of the same name appeared in a folder before it (a new override)."""

    def __init__(self, folders: list[str]):
        self.folders = folders

    def get_source(self, environment, template):
        pieces = split_template_path(template)
        for i, folder in enumerate(self.folders):
            path = os.path.join(folder, *pieces)
            if not os.path.isfile(path):
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    source = f.read()
            except (OSError, UnicodeDecodeError) as e:
                reason = e.strerror if isinstance(e, OSError) else f"not UTF-8 text ({e.reason} at byte {e.start})"
                raise TemplateError(path, None, f"cannot read the template {template!r}: {reason}") from None
            mtime = os.path.getmtime(path)
            before = [os.path.join(other, *pieces) for other in self.folders[:i]]

            def uptodate(path=path, mtime=mtime, before=before) -> bool:
                try:
                    return os.path.getmtime(path) == mtime and not any(os.path.isfile(b) for b in before)
                except OSError:
                    return False

            return source, os.path.normpath(path), uptodate
        raise jinja2.TemplateNotFound(template)


@lru_cache(maxsize=16)
def _environment(own_dir: str) -> jinja2.Environment:
    # One environment per template folder: Jinja caches compiled templates in it, and
    # auto_reload asks the loader whether each is still current, so a long-running server
    # sees edited and newly added templates.
    return jinja2.Environment(
        loader=OverrideLoader([own_dir, str(TEMPLATES)]),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xml", "mjml"], default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )


def environment(settings) -> jinja2.Environment:
    return _environment(str(settings.templates_dir))


def template_path(settings, name: str) -> Path:
    """Where the template ``name`` comes from: the folder's own, else the shipped one."""
    own = Path(settings.templates_dir) / name
    return own if own.is_file() else TEMPLATES / name


def _template_frame(exc: BaseException, roots: tuple[str, ...]) -> tuple[str, int] | None:
    """The innermost traceback frame that is a template line (Jinja rewrites frames so
    their file and line are the template's)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(roots):
            found = (frame.filename, frame.lineno)
    return found


def render(settings, name: str, **context) -> str:
    """Render the template ``name`` (e.g. 'email/issue.mjml') with ``context``."""
    roots = (str(settings.templates_dir), str(TEMPLATES))
    try:
        return environment(settings).get_template(name).render(**context)
    except jinja2.TemplateNotFound as e:
        raise TemplateError(template_path(settings, name), None,
                            f"template {e.name!r} not found in {settings.templates_dir} or {TEMPLATES}") from None
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(e.filename or template_path(settings, name), e.lineno,
                            f"template syntax error: {e.message}") from None
    except jinja2.UndefinedError as e:
        where = _template_frame(e, roots)
        path, line = where if where else (template_path(settings, name), None)
        raise TemplateError(path, line, f"undefined template variable: {e.message}") from None
    except (TypeError, ValueError, LookupError, AttributeError, ArithmeticError) as e:
        where = _template_frame(e, roots)
        path, line = where if where else (template_path(settings, name), None)
        raise TemplateError(path, line, f"template error: {type(e).__name__}: {e}") from None
