"""The Jinja2 templates of the site pages, the changelog and `policy diff --format markdown`
(`policy/templates/*.md.j2`).

The wording of every generated page lives in the templates, so editing it needs no Python; what is
specific to one policy (its labels, matrix rows, example case and prose) comes from its policy.yml,
never from a template. Imported only by the site and the changelog: `policy evaluate` never loads
Jinja2.

Escaping, deliberately: autoescaping is on, and every `{{ ... }}` first passes `finalize`, which
sends anything not marked `Markup` through the one Markdown escaper (`markdown.md_text`) and marks
it. Jinja2's own escaping (HTML only) would leave `[x](javascript:...)`, `*` and `|` live in
Markdown, so it only ever sees `Markup`. Only the helpers registered here, which escape what they
are given, return `Markup`, and no template concatenates text (`~` or `+`; a test checks): table
text cannot become live markup through a template.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable
from typing import Any

import jinja2
from markupsafe import Markup

from . import markdown
from .render import attributed, provenance_labels, word_ops


def _finalize(value: object) -> object:
    return value if isinstance(value, Markup) else Markup(markdown.md_text(value))


def _safe(function: Callable[..., str]) -> Callable[..., Markup]:
    """A helper of `markdown` whose result is Markdown already, returned as `Markup`."""

    @functools.wraps(function)
    def marked(*args: Any, **kwargs: Any) -> Markup:
        return Markup(function(*args, **kwargs))

    return marked


def _escaped(value: object) -> Markup:
    """Markdown-escaped text (a Markup passes as it is)."""
    return _finalize(value)  # type: ignore[return-value]


def _join(items: Iterable[object], separator: str = "") -> Markup:
    """Items joined, each escaped unless it is Markup already (`separator` is template text)."""
    return Markup(separator.join(str(_escaped(item)) for item in items))


def _attribute(value: object) -> Markup:
    """Text for an HTML attribute value in double quotes."""
    return Markup(html.escape(str(value), quote=True))


def _attributed(text: str, provenance: str | None) -> tuple[str, Markup]:
    """(label, words) of `render.attributed`, the words escaped first."""
    label, words = attributed(markdown.md_text(text), provenance)
    return label, Markup(words)


def _determination_words(determination: str) -> str:
    """a_determination -> a determination"""
    return determination.replace("_", " ")


def _link(text: object, target: str, here: str = "") -> Markup:
    """`markdown.link`, its text escaped unless it is Markup."""
    return Markup(markdown.link(str(_escaped(text)), target, here))


def _text(value: object) -> Markup:
    """Text for the content of an HTML element (in a block Markdown leaves alone)."""
    return Markup(html.escape(str(value), quote=False))


def _badge(determination: str, label: object, title: str | None = None) -> Markup:
    """`markdown.badge`, its label escaped unless it is Markup."""
    return Markup(markdown.badge(determination, str(_escaped(label)), title))


def _row(cells: Iterable[object]) -> Markup:
    """A table row, each cell escaped unless it is Markup."""
    return Markup(markdown.row(str(_escaped(c)) for c in cells))


def _changed_words(change: dict, context: int) -> Markup:
    """The changed words of a text change (`render.word_ops`) as inert Markdown."""
    return Markup(markdown.words_markdown(word_ops(change, context)))


def _code(value: object) -> Markup:
    return Markup(f"<code>{markdown.md_text(value)}</code>")


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policy", "templates"), autoescape=True,
        finalize=_finalize, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(join=_join, attr=_attribute, text=_text, code=_code,
                       words=_determination_words)
    env.globals.update(
        link=_link, badge=_badge,
        mark=_safe(markdown.provenance_mark), quoted=_safe(markdown.quoted),
        fence=_safe(markdown.fence), row=_row,
        rule_line=_safe(markdown.rule_line), provenance_label=markdown.provenance_label,
        attributed=_attributed, changed_words=_changed_words,
        provenance_labels=provenance_labels)
    return env


def render(template: str, **context: object) -> str:
    """The template `policy/templates/<template>` filled in with `context`."""
    return environment().get_template(template).render(**context)
