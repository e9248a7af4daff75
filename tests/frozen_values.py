"""A made-up value for the tests of issue 23, item 3 (published meaning is frozen): the cancer site
`skin`, INVENTED (no text of the policy names it), added to a copy of the shipped tables the frozen
way (policy.yml `since: "2024-09"`, listed by a made-up revision 2024-09 only, written by `policy
new-revision` from the invented 2024 text of tests/invented_source.py) or to published tables.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

from invented_source import write_invented

SKIN_DEFINITION = ('      skin:\n        basis: reading\n        since: "2024-09"\n'
                   '        text: "Skin cancer (a value INVENTED for a test)."\n')
SKIN_MESSAGE = ("cancer_site cannot be 'skin' under revision 2013-12, the one in force: the value "
                "is new in revision 2024-09, and earlier revisions do not decide it")
PUBLISHED = [f"{y}.yaml" for y in ("2011-12", "2012-12", "2013-12", "2014-12", "2015-12",
                                   "2018-03", "2018-09", "2019-09", "2020-09", "2021-09",
                                   "2022-09", "2023-09")]


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_skin_to_table(table: Path) -> None:
    """`skin` among the table's values of cancer_site, decided as the other oncologic sites."""
    replace_once(table, "thoracic, other, none]", "thoracic, other, none, skin]")
    replace_once(table, "thoracic, other]", "thoracic, other, skin]")


def add_skin_to_policy_yml(folder: Path, definition: str) -> None:
    policy_yml = folder / "policy.yml"
    replace_once(policy_yml, "thoracic, other, none]", "thoracic, other, none, skin]")
    replace_once(policy_yml, "      none:\n        basis: reading\n",
             definition + "      none:\n        basis: reading\n")


def digests(folder: Path, names: list[str]) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}


def policy(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policy", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def add_skin_frozen(root: Path, documents: Path) -> Path:
    """The frozen way, in the policy repository `root`: a new revision 2024-09 by `policy
    new-revision` (the invented 2024 text), skin in policy.yml since 2024-09 and in 2024-09 only.
    Returns the policy's folder."""
    documents.mkdir(exist_ok=True)
    result = policy(root, "new-revision", "--source", str(write_invented(documents)))
    assert result.returncode == 0, result.stdout + result.stderr
    folder = root / "tables" / "fep-8.01.08"
    add_skin_to_policy_yml(folder, SKIN_DEFINITION)
    add_skin_to_table(folder / "2024-09.yaml")
    return folder
