"""`policy validate`: every check of a policy's files, collected before reporting, by rule family.

`validated_policy.load_and_validate` runs them in order: policy.yml (`load.definition`), the
crosswalk of codes (`codesets.crosswalk`), then per table its identity (`identity`), decision table
(`decision_table`), statements (`statements`) and quotes (`quotes`), and across tables the chain of
revisions (`chain`).
"""

from .validated_policy import ValidatedPolicy, load_and_validate

__all__ = ["ValidatedPolicy", "load_and_validate"]
