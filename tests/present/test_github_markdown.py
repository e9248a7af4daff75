"""`policy diff --format markdown` for a pull-request comment: nothing from the tables is live on
GitHub.

Table text that no check ties to the source (a rule's `note`, a `provenance_note`) reaches the
comment. GitHub reads more in it than Markdown: its renderer, cmark-gfm (the `cmarkgfm` package,
GitHub's own fork), links bare addresses and e-mail addresses and strikes `~text~` through; after
rendering, GitHub's filters turn `@user` and `@org/team` into mentions, which notify them, `#1`,
`org/repo#1` and `GH-1` into issue links, and `:+1:` into emoji, in every text node outside
`<pre>`, `<code>` and `<a>`. Those filters are not published as a package: their patterns
(`MENTION`, `TEAM_MENTION`, `ISSUE`, `EMOJI` below) are those of GitHub's html-pipeline filters,
widened (any emoji name, either letter case). The tests of `md_text(..., GITHUB)` and of the
comment failed on the escaper without a GitHub flavour (issue 20, item 5).

The site (MkDocs: Python-Markdown with the extensions in mkdocs.yml) has none of these readings,
so its Markdown stays as it was: the last tests guard that.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
import yaml
from cmarkgfm.cmark import Options

from repo_paths import ROOT

HOSTILE = [
    "cc @octo-org/security-team and @alice.",
    "@alice", "(@bob)", "thanks,@carol-x", "mail bob@example.com or mailto:eve@example.org",
    "see #1", "#12 at the start", "octo/repo#2 and user#3", "GH-4, gh-5 (GH-6)",
    "https://evil.example/x?y=1", "http://a.b", "ftp://files.example/f", "www.evil.example/path",
    "WWW.EVIL.EXAMPLE", "~~gone~~", "~one~", "a ~ b ~ c", ":+1: :shipit: :-1: :100:",
    "10:30:00 and a:b:c", "costs $5 to $10", "$$x$$",
    "@alice:+1:#7https://x.example~~s~~",
]
ZWSP = "\u200b"
# GitHub's post-rendering filters (html-pipeline's MentionFilter, TeamMentionFilter,
# IssueMentionFilter; EmojiFilter with any name), applied to text nodes.
MENTION = re.compile(r"(?:^|\W)@[a-z0-9][a-z0-9-]*", re.IGNORECASE)
TEAM_MENTION = re.compile(r"(?:^|\W)@[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9_-]*", re.IGNORECASE)
ISSUE = re.compile(r"(?:^|\W|[\w-]+/?[.\w-]*)(?:gh-|#)[0-9]+\b", re.IGNORECASE)
EMOJI = re.compile(r":[a-z0-9_+-]+:", re.IGNORECASE)
LIVE = {"mention": MENTION, "team mention": TEAM_MENTION, "issue reference": ISSUE,
        "emoji": EMOJI}
IGNORED_PARENTS = {"pre", "code", "a"}


class Rendered(HTMLParser):
    """What GitHub makes of HTML: the elements, and the text GitHub's filters read."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.read_by_filters: list[str] = []  # text nodes outside pre, code and a
        self.text = ""
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data):
        self.text += data
        if not IGNORED_PARENTS & set(self._open):
            self.read_by_filters.append(data)


def github(markdown: str) -> Rendered:
    """GitHub-flavoured Markdown as GitHub renders a comment (raw HTML kept, as GitHub keeps
    <del>, <ins>, <code> and <details>)."""
    return Rendered(cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE))


def live(rendered: Rendered) -> list[str]:
    """What GitHub would make live: links, strikethrough, and matches of its filters."""
    found = [f"<{tag}>" for tag in rendered.tags if tag in ("a", "del", "s", "img")]
    for text in rendered.read_by_filters:
        found += [f"{name}: {m.group(0)}" for name, pattern in LIVE.items()
                  for m in pattern.finditer(text)]
    return found


def test_the_filters_find_what_github_reads():
    """The check itself: unescaped, every hostile text is found live."""
    for text in HOSTILE:
        if text in ("a ~ b ~ c", "10:30:00 and a:b:c", "costs $5 to $10", "$$x$$",
                    "WWW.EVIL.EXAMPLE"):
            continue  # (not struck, no emoji name, math that cmark-gfm does not render, www.
            # linked in lower case only: escaped all the same)
        assert live(github(f"| a |\n|---|\n| {text} |")), text


@pytest.mark.parametrize("text", HOSTILE)
def test_md_text_for_github_leaves_nothing_live(text):
    from policy.present.markdown import GITHUB, md_text

    for markdown in (f"| a |\n|---|\n| {md_text(text, GITHUB)} |", md_text(text, GITHUB),
                     f"<ins>{md_text(text, GITHUB)}</ins>"):
        rendered = github(markdown)
        assert live(rendered) == [], (text, markdown)
        assert rendered.text.replace(ZWSP, "").strip().endswith(text)  # reads as written
    escaped = md_text(text, GITHUB)
    assert "$" not in escaped and "~" not in escaped  # math and strikethrough: references


@pytest.fixture
def hostile_tables(tables_copy):
    """The 2023-09 table with every hostile text in a rule's note and a statement's
    provenance_note (neither is checked against the source)."""
    table = tables_copy / "fep-8.01.08" / "2023-09.yaml"
    text = table.read_text(encoding="utf-8")
    hostile = json.dumps(" ".join(HOSTILE))
    for old in ('note: "Every oncologic site other than rectal."',
                'provenance_note: "The 2023 POLICY STATEMENT, verbatim."'):
        assert old in text
        text = text.replace(old, old.split(":")[0] + f": {hostile}", 1)
    table.write_text(text, encoding="utf-8")
    return tables_copy


def test_a_pull_request_comment_leaves_nothing_live(hostile_tables, cli):
    """`policy diff 2022-09 2023-09 --format markdown` with the hostile note: rendered by
    cmark-gfm, no link, no struck-through text but the diff's own removed words, and nothing
    GitHub's filters would make a mention, an issue link or an emoji; the note reads as written.
    Failed before: links, <del> from ~~, mentions of @octo-org/security-team, #1, :+1:."""
    assert cli("validate", "--tables", hostile_tables)[0] == 0
    code, out, err = cli("diff", "2022-09", "2023-09", "--format", "markdown", "--tables",
                         hostile_tables)
    assert code == 0, err
    rendered = github(out)
    own_removals = out.count("<del>")
    assert own_removals >= 1  # the old note's words, struck through by the diff itself
    assert [t for t in rendered.tags if t in ("a", "s", "img")] == []
    assert rendered.tags.count("del") == own_removals
    assert [f for f in live(rendered) if f != "<del>"] == []
    shown = rendered.text.replace(ZWSP, "")
    assert " ".join(HOSTILE) in shown  # the rule's note, whole (the provenance note shares words
    assert all(word in shown for word in " ".join(HOSTILE).split())  # with the old one: in parts)


def test_the_text_diff_is_unchanged(hostile_tables, cli):
    """The plain-text diff prints the note as it is (escaped for the terminal only)."""
    code, out, _ = cli("diff", "2022-09", "2023-09", "--tables", hostile_tables)
    assert code == 0 and ZWSP not in out and "@octo-org/security-team" in out


# --- the site: the same text, nothing live, Markdown unchanged ------------------------------------

def _site_extensions() -> list:
    """The Markdown extensions mkdocs.yml gives the site (names and their options)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    names, options = [], {}
    for entry in config["markdown_extensions"]:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        if settings:
            options[name] = settings
    return [names, options]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_site_markdown_has_none_of_githubs_readings(text):
    """The site's Markdown (Python-Markdown with mkdocs.yml's extensions) links, strikes and
    mentions nothing in the escaped text, and its escaping is as before: no zero-width space,
    `~` and `$` as they are."""
    import markdown

    from policy.present.markdown import SITE, md_text

    names, options = _site_extensions()
    assert md_text(text) == md_text(text, SITE)
    escaped = md_text(text)
    assert ZWSP not in escaped and "&#8203;" not in escaped
    assert ("~" in text) == ("~" in escaped) and ("$" in text) == ("$" in escaped)
    page = markdown.markdown(f"| a |\n|---|\n| {escaped} |", extensions=names,
                             extension_configs=options)
    rendered = Rendered(page)
    assert [t for t in rendered.tags if t in ("a", "del", "s", "img")] == []
    assert rendered.text.strip().endswith(text)


HELPERS = ("{{ t }} {{ link(t, 'x.md') }} {{ badge('x', t) }} {{ [t, t]|join(', ') }} {{ t|code }} "
           "<span>{{ t|text }}</span> {{ quoted(t, 'verbatim') }}\n\n{{ row([t, t]) }}")


def test_every_template_helper_escapes_for_the_flavour():
    """The GitHub environment's helpers (links, badges, joins, code, HTML text, quotes, rows)
    leave nothing live; the site environment's write no zero-width space."""
    from policy.present.markdown import GITHUB, SITE
    from policy.present.templating import environment

    text = "@octo-org/team #1 :+1: https://x.example ~~s~~"
    shown = environment(GITHUB).from_string(HELPERS).render(t=text)
    rendered = github(shown)
    assert rendered.tags.count("a") == 1  # the link the template asks for, no other
    assert [f for f in live(rendered) if f != "<a>"] == []
    assert shown.count("&#8203;") == 10 * 4  # 10 escaped texts, 4 places each
    site = environment(SITE).from_string(HELPERS).render(t=text)
    assert "&#8203;" not in site and ZWSP not in site
    assert environment() is environment(SITE)
