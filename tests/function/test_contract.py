"""One contract between the constructs and the URL function (lambda/presigned_url/contract.py):
the function's asset ships it, and the constructs and the notebook-url client import that
same file. No copies, so nothing here holds copies equal: these tests check that every side
takes its names from the contract and defines none of its own."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from presigned_url import contract, handler
from presigned_url import portal as handler_portal

from sagemaker_notebook_access import limits
from sagemaker_notebook_access.lambda_src.presigned_url import contract as packaged_contract
from sagemaker_notebook_access.monitoring.operations import DenyReason


def test_the_constructs_import_the_file_the_function_ships():
    assert Path(packaged_contract.__file__).resolve() == Path(contract.__file__).resolve()
    assert Path(inspect.getsourcefile(handler)).parent == Path(contract.__file__).parent


def test_the_contract_is_standard_library_only():
    """It runs in the Lambda without the library and in the CLI without aws-cdk-lib."""
    source = Path(contract.__file__).read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations", "import hashlib", "import re"]


def contract_values() -> set[object]:
    """What the contract defines that another module could copy: routes, deny reasons,
    environment names, tags and limits (not PAGE_RESOURCE "/", which any path has)."""
    values: set[object] = {
        contract.NAME_SEGMENT,
        contract.SESSION_DURATION_FIELD,
        contract.OWNERS_TAG,
        contract.GROUPS_TAG,
        contract.NOTEBOOK_NAME_MAX_LENGTH,
        contract.SESSION_DURATION_MIN_SECONDS,
        contract.SESSION_DURATION_MAX_SECONDS,
    }
    values |= {
        value
        for name, value in vars(contract).items()
        if name.startswith("DENY_") or (name.endswith("_RESOURCE") and name != "PAGE_RESOURCE")
    }
    values |= {value for name, value in vars(contract.Env).items() if not name.startswith("_")}
    return values


def test_no_handler_module_writes_a_contract_value_of_its_own():
    """Every module of the function's asset takes routes, reasons, names and limits from
    the contract: none of their values appears in another module as a literal."""
    copied = contract_values()
    modules = sorted(Path(contract.__file__).parent.glob("*.py"))
    assert {path.name for path in modules} >= {"contract.py", "handler.py", "portal.py"}
    for path in modules:
        if path.name == "contract.py":
            continue
        literals = {
            node.value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str | int)
        }
        assert not literals & copied, (path.name, literals & copied)
    assert handler_portal.OWNERS_TAG is contract.OWNERS_TAG
    assert handler_portal.GROUPS_TAG is contract.GROUPS_TAG


def test_the_library_and_the_client_take_the_limits_from_the_contract():
    for name in (
        "NOTEBOOK_NAME_PATTERN",
        "NOTEBOOK_NAME_MAX_LENGTH",
        "SESSION_DURATION_FIELD",
        "SESSION_DURATION_MIN_SECONDS",
        "SESSION_DURATION_MAX_SECONDS",
        "is_notebook_name",
    ):
        assert getattr(limits, name) is getattr(packaged_contract, name), name


def test_the_one_name_rule():
    for good in ("a", "a-b", "a--b", "A1", "x" * 63):
        assert contract.is_notebook_name(good), good
    for bad in ("", "-a", "a-", "a_b", "a b", "x" * 64, "a\n", "\u0430", None, 7):
        assert not contract.is_notebook_name(bad), bad


def test_every_deny_reason_the_handler_writes_is_a_metric_reason():
    written = {value for name, value in vars(contract).items() if name.startswith("DENY_")}
    counted = {
        value
        for name, value in vars(DenyReason).items()
        if not name.startswith("_") and value[:1].islower()  # the handler's camelCase ones
    }
    assert written == counted
