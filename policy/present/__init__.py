"""Presenting decisions, problems and changes: the provenance vocabulary, terminal text, Markdown,
the templates (CHANGELOG.md, pull-request comments, site pages) and the site's page builders."""
