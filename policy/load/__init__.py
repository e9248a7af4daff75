"""Reading policy files: safe YAML with positions, JSON Schema, `policy.yml` (the definition), the
source text, the frozen model of a revision, patterns matched in bounded time, case files, and
tables as they were at a git revision. Off the warm path: ordinary Python."""
