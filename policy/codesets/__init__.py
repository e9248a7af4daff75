"""Diagnosis and procedure codes read by date of service, and what a policy's crosswalk says they
name.

- `check`: one code's form, system and validity on a day (`read_code`, `read_codes`,
  `CodeReading`); `icd10cm` and `icd9cm` the code sets by date; `sources` where the code-set
  packages keep their files;
- `crosswalk`: a policy's codes.yml, its checks (`policy validate`) and its frozen form;
- `resolve`: what a case's codes decide (`resolve_codes`).

Nothing here is loaded until a case has codes: importing this package reads no code set.
docs/codes.md says which dates are checked how.
"""

from .check import CodeReading, read_code, read_codes
from .crosswalk import Crosswalk, build_crosswalk, crosswalk_problems, read_crosswalk
from .resolve import CodeResolution, resolve_codes

__all__ = ["CodeReading", "CodeResolution", "Crosswalk", "build_crosswalk", "crosswalk_problems",
           "read_code", "read_codes", "read_crosswalk", "resolve_codes"]
