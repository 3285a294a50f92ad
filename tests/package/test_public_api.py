"""The package exports exactly the designed names, and documents every class, prop and method."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types

import pytest

import sagemaker_notebook_access as package

# DESIGN.md, "Public API": names are decided; add, don't rename.
CONSTRUCTS = [
    "IpRestrictedNotebook",
    "NotebookAccessHub",
    "NotebookAccessSpoke",
    "NotebookInstance",
    "NotebookIpPolicy",
    "NotebookPortal",
    "PresignedUrlApi",
    "PrivateVpc",
    "TagGuardPolicy",
]
PUBLIC = [*CONSTRUCTS, "DenyReason", "SignIn", "ValidationError"]


def keyword_only_props(cls: type) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]


def documented_params(cls: type) -> list[str]:
    return re.findall(r":param (\w+):", inspect.getdoc(cls) or "")


def test_all_is_exactly_the_designed_names():
    assert sorted(package.__all__) == sorted(PUBLIC)


def test_no_other_public_names_but_submodules():
    # Names load on first use (PEP 562): resolve them all, then nothing else may show.
    for name in PUBLIC:
        getattr(package, name)
    extra = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert extra == set(PUBLIC)


def test_star_import_gives_the_public_names_only():
    namespace: dict = {}
    exec("from sagemaker_notebook_access import *", namespace)
    assert sorted(k for k in namespace if not k.startswith("__")) == sorted(PUBLIC)


def test_validation_error_is_a_documented_value_error():
    assert issubclass(package.ValidationError, ValueError)
    assert (package.ValidationError.__doc__ or "").strip()


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_construct_signature_is_scope_id_then_keyword_only_props(name):
    cls = getattr(package, name)
    parameters = list(inspect.signature(cls.__init__).parameters.values())
    assert [p.name for p in parameters[:3]] == ["self", "scope", "id"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[3:])
    assert len(parameters) > 3


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_class_docstring_documents_each_prop(name):
    cls = getattr(package, name)
    doc = inspect.getdoc(cls) or ""
    assert doc.splitlines()[0].strip(), f"{name} has no summary line"
    props, documented = keyword_only_props(cls), documented_params(cls)
    missing = [prop for prop in props if prop not in documented]
    stale = [param for param in documented if param not in props]
    assert not missing, f"{name} does not document {missing}"
    assert not stale, f"{name} documents {stale}, which it does not take"


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_documented_props_say_their_default(name):
    cls = getattr(package, name)
    signature = inspect.signature(cls.__init__)
    doc = inspect.getdoc(cls) or ""
    # One ":param x:" block runs until the next ":param" or a blank line.
    blocks = dict(re.findall(r":param (\w+):(.*?)(?=\n:param |\n\n|\Z)", doc, flags=re.S))
    for prop, block in blocks.items():
        parameter = signature.parameters.get(prop)
        if parameter is None or parameter.default is inspect.Parameter.empty:
            continue
        assert re.search(r"\bDefault\b", block), f"{name}.{prop}: say what the default does"


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_public_methods_and_properties_have_docstrings(name):
    cls = getattr(package, name)
    undocumented = [
        member
        for member, value in vars(cls).items()
        if not member.startswith("_")
        and (inspect.isfunction(value) or isinstance(value, property))
        and not (inspect.getdoc(value) or "").strip()
    ]
    assert not undocumented, f"{name}: {undocumented} have no docstring"


def declared_attributes(cls: type) -> dict[str, str]:
    """``name: Type`` declarations in the class body and the docstring under each."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    return {
        node.target.id: (following.value.value if isinstance(following, ast.Expr) else "")
        for node, following in zip(body, [*body[1:], None], strict=True)
        if isinstance(node, ast.AnnAssign) and node.value is None
    }


def attributes_set_outside_init(cls: type) -> list[str]:
    assigned = []
    for node in ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body:
        if isinstance(node, ast.FunctionDef) and node.name != "__init__":
            for target in ast.walk(node):
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.ctx, ast.Store)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                    and not target.attr.startswith("_")
                ):
                    assigned.append(f"{node.name}: self.{target.attr}")
    return assigned


@pytest.fixture(scope="module")
def built() -> dict[str, object]:
    import aws_cdk as cdk
    from vpcs import make_vpc

    stack = cdk.Stack(cdk.App(), "Attributes")
    api = package.PresignedUrlApi(
        stack, "Api", vpc=make_vpc(stack, max_azs=1), allowed_cidrs=["8.8.8.0/24"]
    )
    portal = package.NotebookPortal(stack, "Portal", api=api, domain_prefix="team")
    return {"PresignedUrlApi": api, "NotebookPortal": portal}


# issue 20: like aws-cdk's `public readonly x` with its doc comment, each public attribute is
# declared and documented on the class and set in __init__, never first inside a builder.
@pytest.mark.parametrize("name", ["PresignedUrlApi", "NotebookPortal"])
def test_public_attributes_are_declared_documented_and_set_in_init(built, name):
    cls = getattr(package, name)
    instance = built[name]
    public = {attribute for attribute in vars(instance) if not attribute.startswith("_")}
    declared = declared_attributes(cls)
    assert public == set(declared)
    assert [attribute for attribute, doc in declared.items() if not doc.strip()] == []
    assert attributes_set_outside_init(cls) == []
