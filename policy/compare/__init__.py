"""Comparing revisions by meaning and by text: `policy diff`, and the changes CHANGELOG.md and the
site's change pages show; and the next revision drafted from a new source document
(`policy new-revision`)."""
