"""An INVENTED 2024 text of FEP 8.01.08 for the tests of a new revision: not a real source.

It is the shipped 2023 text (source.md) with one made-up Policy History row (September 2024) after
the September 2023 one and, unless told otherwise, its stated effective date moved a year on. No
2024 text of the policy is known to this project; nothing here says what one would contain.
"""

from pathlib import Path

from repo_paths import POLICY_DIR

LAST_2023_ROW = ("September 2023\tReplace policy\tPolicy updated with literature review through "
                 "May 31, 2023; reference added. Policy statements unchanged.\n")
INVENTED_DESCRIPTION = ("Policy updated with literature review through May 31, 2024; references "
                        "added. Policy statements unchanged.")
STATED_2023 = "Effective Policy Date: October 1, 2023"


def invented_2024_text(*, description: str = INVENTED_DESCRIPTION,
                       stated: str | None = "**Effective Policy Date: October 1, 2024**") -> str:
    """The 2023 text plus an invented `September 2024` row with `description`; `stated`: what
    replaces the 2023 effective-date line (None: the line is left as in 2023; "" removes it)."""
    text = (POLICY_DIR / "source.md").read_text(encoding="utf-8")
    assert LAST_2023_ROW in text and STATED_2023 in text
    text = text.replace(LAST_2023_ROW, LAST_2023_ROW + "September 2024\tReplace policy\t"
                        + description + "\n")
    if stated is not None:
        text = text.replace(f"**{STATED_2023}**", stated)
    return "<!-- INVENTED for the tests: not a real FEP text -->\n" + text


def write_invented(folder: Path, name: str = "fep-8.01.08-2024-INVENTED.md", **options) -> Path:
    path = folder / name
    path.write_text(invented_2024_text(**options), encoding="utf-8")
    return path
