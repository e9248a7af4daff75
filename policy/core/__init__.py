"""The core: what a warm `policy evaluate` imports, and nothing more.

Errors and records, dates and the revision in force, the compiled policy and its evaluation, the
check of a case, the per-case memo of decisions, the escaping of echoed text, and finding and
reading a policy's files for the cache's key. Standard-library-light by rule (no `re`, `datetime`,
`typing` or `collections` at import; records are `record.Record`s): every `policy evaluate` pays
for what is imported here. Nothing here imports another layer of the package.
"""
