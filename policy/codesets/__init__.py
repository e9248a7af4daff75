"""Diagnosis and procedure codes read by date of service, and what a policy's crosswalk says they
name.

- `check`: one code's form, system and validity on a day (`read_code`, `read_codes`,
  `CodeReading`); `icd10cm` and `icd9cm` the code sets by date; `sources` where the code-set
  packages keep their files;
- `crosswalk`: a policy's codes.yml, its checks (`policy validate`) and its frozen form;
- `resolve`: what a case's codes decide (`resolve_codes`).

Nothing here is loaded until a case has codes: importing this package imports none of its
modules (import `policy.codesets.check` and the others by name) and reads no code set.
docs/codes.md says which dates are checked how.
"""
