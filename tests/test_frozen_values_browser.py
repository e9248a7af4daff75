"""The Try a case page of a policy whose newest revision introduces a value (issue 23, item 3):
built with MkDocs from a copy of the tables with a made-up cancer site `skin` known since a made-up
revision 2024-09 (tests/compare/test_frozen_values.py), opened in headless Chromium, and compared
with its Python reference (tests/try_reference.py). Marked `browser`, as tests/test_site_browser.py.

Failed on the old page: it decided `skin` under every revision (from the lookups of the whole
vocabulary) where `policy evaluate` refuses it before 2024-09.
"""

from __future__ import annotations

import shutil

import pytest

import try_reference
from browsing import serve
from frozen_values import SKIN_MESSAGE, add_skin_frozen
from repo_paths import ROOT
from sitebuild import mkdocs_build
from test_site_browser import browser, page  # noqa: F401 (the fixtures, shared)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def frozen_site(tmp_path_factory):
    """(base URL, the engine of the tables with skin added the frozen way)."""
    from policy import load_policy

    folder = tmp_path_factory.mktemp("frozen")
    shutil.copytree(ROOT / "tables", folder / "root" / "tables")
    shutil.copytree(ROOT / "schemas", folder / "root" / "schemas")
    tables = add_skin_frozen(folder / "root", folder / "documents").parent
    result = mkdocs_build(folder / "site", tables=tables)
    assert result.returncode == 0, result.stderr[-3000:]
    with serve(folder / "site") as base:
        yield base, load_policy(tables)


def test_try_page_refuses_a_value_its_revision_does_not_know(frozen_site, page):  # noqa: F811
    """skin before 2024-09 is a problem of cancer_site (the engine's message), decided from
    2024-09 on; every query agrees with the reference, generated ones included."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    base, engine = frozen_site
    page.goto(base + "try/", wait_until="networkidle")
    values = page.evaluate("q => window.policyTry.render(q)",
                           "as_of=2014-06-01&cancer_site=skin&t_stage=T4")
    assert (values["problems"], values["determination"]) == ("cancer_site", "")
    assert SKIN_MESSAGE in page.locator("#problems").text_content()
    values = page.evaluate("q => window.policyTry.render(q)", "as_of=2024-11-01&cancer_site=skin")
    assert (values["problems"], values["determination"]) == ("", "investigational")

    queries = [f"as_of={day}&cancer_site={site}{more}"
               for day in ("2011-12-31", "2012-01-01", "2014-06-01", "2024-09-30", "2024-10-01",
                           "2030-01-01")
               for site in ("skin", "rectal")
               for more in ("", "&t_stage=T4&margin_status=close", "&t_stage=T9")]
    assert try_reference.differences(page, engine, queries) == []

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(try_reference.queries(engine.compiled.columns), min_size=1, max_size=40))
    def every_query_list(generated):
        assert try_reference.differences(page, engine, generated) == []

    every_query_list()
    assert page.watch.problems == []
