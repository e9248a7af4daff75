"""The Jinja2 templates of the site pages, the changelog and `policy diff --format markdown`
(`policy/present/templates/*.md.j2`).

The wording of every generated page lives in the templates, so editing it needs no Python; what is
specific to one policy (its labels, matrix rows, example case and prose) comes from its policy.yml,
never from a template. Imported only by the site and the changelog: `policy evaluate` never loads
Jinja2.

Escaping, deliberately: autoescaping is on, and every `{{ ... }}` first passes `finalize`, which
sends anything not marked `Markup` through the one Markdown escaper (`markdown.md_text`) and marks
it. Jinja2's own escaping (HTML only) would leave `[x](javascript:...)`, `*` and `|` live in
Markdown, so it only ever sees `Markup`. Only the helpers registered here, which escape what they
are given, return `Markup`, and no template concatenates text (`~` or `+`; a test checks): table
text cannot become live markup through a template. Each Markdown flavour (`markdown.SITE`,
`markdown.GITHUB`) has its own environment, whose helpers all escape for that flavour.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable
from typing import Any

import jinja2
from markupsafe import Markup

from . import markdown
from .provenance import attributed, provenance_labels
from .text_changes import path_words, word_ops


def _finalize(value: object, flavour: str = markdown.SITE) -> object:
    return value if isinstance(value, Markup) else Markup(markdown.md_text(value, flavour))


def _safe(function: Callable[..., str]) -> Callable[..., Markup]:
    """A helper of `markdown` whose result is Markdown already, returned as `Markup`."""

    @functools.wraps(function)
    def marked(*args: Any, **kwargs: Any) -> Markup:
        return Markup(function(*args, **kwargs))

    return marked


def _escaped(value: object, flavour: str = markdown.SITE) -> Markup:
    """Markdown-escaped text (a Markup passes as it is)."""
    return _finalize(value, flavour)  # type: ignore[return-value]


def _join(items: Iterable[object], separator: str = "", *, flavour: str = markdown.SITE) -> Markup:
    """Items joined, each escaped unless it is Markup already (`separator` is template text)."""
    return Markup(separator.join(str(_escaped(item, flavour)) for item in items))


def _attribute(value: object) -> Markup:
    """Text for an HTML attribute value in double quotes."""
    return Markup(html.escape(str(value), quote=True))


def _attributed(text: str, provenance: str | None, *,
                 flavour: str = markdown.SITE) -> tuple[str, Markup]:
    """(label, words) of `render.attributed`, the words escaped first."""
    label, words = attributed(markdown.md_text(text, flavour), provenance)
    return label, Markup(words)


def _determination_words(determination: str) -> str:
    """a_determination -> a determination"""
    return determination.replace("_", " ")


def _link(text: object, target: str, here: str = "", *, flavour: str = markdown.SITE) -> Markup:
    """`markdown.link`, its text escaped unless it is Markup."""
    return Markup(markdown.link(str(_escaped(text, flavour)), target, here))


def _html_link(content: object, target: str, here: str = "") -> Markup:
    """A link in raw HTML from page `here` to page `target` (`markdown.page_url`); its content
    escaped unless it is Markup."""
    text = content if isinstance(content, Markup) else html.escape(str(content), quote=False)
    return Markup(f'<a href="{html.escape(markdown.page_url(target, here), quote=True)}">'
                  f"{text}</a>")


def _text(value: object, *, flavour: str = markdown.SITE) -> Markup:
    """Text for the content of an HTML element (in a block Markdown leaves alone). GitHub reads
    mentions and references in HTML text too: there the Markdown escape, whose character
    references read the same in HTML."""
    if flavour == markdown.GITHUB:
        return Markup(markdown.md_text(value, flavour))
    return Markup(html.escape(str(value), quote=False))


def _badge(determination: str, label: object, title: str | None = None, *,
           flavour: str = markdown.SITE) -> Markup:
    """`markdown.badge`, its label escaped unless it is Markup."""
    return Markup(markdown.badge(determination, str(_escaped(label, flavour)), title))


def _row(cells: Iterable[object], *, flavour: str = markdown.SITE) -> Markup:
    """A table row, each cell escaped unless it is Markup."""
    return Markup(markdown.row(str(_escaped(c, flavour)) for c in cells))


def _changed_words(change: dict, context: int, *, flavour: str = markdown.SITE) -> Markup:
    """The changed words of a text change (`render.word_ops`) as inert Markdown."""
    return Markup(markdown.words_markdown(word_ops(change, context), flavour))


def _code(value: object, *, flavour: str = markdown.SITE) -> Markup:
    return Markup(f"<code>{markdown.md_text(value, flavour)}</code>")


def environment(flavour: str = markdown.SITE) -> jinja2.Environment:
    """The templates' environment for a Markdown flavour: every helper escapes for it."""
    return _environment(flavour)


@functools.cache  # one per flavour, however it is asked for
def _environment(flavour: str) -> jinja2.Environment:
    if flavour not in (markdown.SITE, markdown.GITHUB):
        raise ValueError(f"no Markdown flavour {flavour!r}")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policy.present", "templates"), autoescape=True,
        finalize=functools.partial(_finalize, flavour=flavour),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)

    def flavoured(function: Callable[..., Any]) -> Callable[..., Any]:
        return functools.partial(function, flavour=flavour)

    env.filters.update(join=flavoured(_join), attr=_attribute, text=flavoured(_text),
                       code=flavoured(_code), words=_determination_words)
    env.globals.update(
        link=flavoured(_link), html_link=_html_link, badge=flavoured(_badge),
        mark=_safe(markdown.provenance_mark), quoted=_safe(flavoured(markdown.quoted)),
        fence=_safe(markdown.fence), row=flavoured(_row),
        rule_line=_safe(markdown.rule_line), provenance_label=markdown.provenance_label,
        attributed=flavoured(_attributed), changed_words=flavoured(_changed_words),
        provenance_labels=provenance_labels, path_words=path_words)
    return env


def render(template: str, *, flavour: str = markdown.SITE, **context: object) -> str:
    """The template `policy/present/templates/<template>` filled in with `context`, escaping for the
    Markdown `flavour` (`markdown.SITE` or `markdown.GITHUB`)."""
    return environment(flavour).get_template(template).render(**context)
