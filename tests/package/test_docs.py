"""`make docs`: the API reference pdoc builds from the docstrings, its links and its coverage.

Built once (offline, pdoc's Python API through tools/api_docs.py, as `make docs` does), then:
every relative link leads to a file and anchor of the reference, and every public name of
the package has its section, with each public method, property and attribute listed and the
methods documented. The link check is shown to report broken links.
"""

from __future__ import annotations

import inspect
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import sagemaker_notebook_access as package

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import api_docs

pytestmark = pytest.mark.slow

PAGE = "sagemaker_notebook_access.html"

# Public attributes still without a docstring (comments do not reach pdoc): no other may join
# them; document these and strike them off.
UNDOCUMENTED_ATTRIBUTES = {
    "DenyReason": {
        "OUTSIDE_ALLOW_LIST", "NO_SOURCE_IP", "NO_IDENTITY", "NOT_ENTITLED", "CROSS_ORIGIN",
        "NOT_GRANTED", "WAF_BLOCKED", "UNSIGNED", "BAD_SIGNATURE", "EXPIRED_CREDENTIALS",
    },
    "IpRestrictedNotebook": {
        "vpc", "s3_endpoint", "logs_endpoint", "notebook", "ip_policy", "api", "portal",
        "allowed_cidrs",
    },
    "NotebookInstance": {
        "vpc", "subnet", "encryption_key", "security_group", "connections", "role",
        "idle_timeout_minutes", "lifecycle_config", "cfn_notebook_instance",
        "notebook_instance_name", "notebook_instance_arn", "execution_policy", "key_policy",
        "self_management_policy",
    },
    "NotebookIpPolicy": {"allowed_cidrs"},
    "PrivateVpc": {
        "s3_endpoint", "logs_endpoint", "flow_logs_key", "flow_log_group", "flow_logs_role",
        "flow_log",
    },
    "SignIn": {
        "domain_prefix", "user_pool", "sign_in_url", "identity_providers", "session_minutes",
        "removal_policy", "notebook_session_minutes",
    },
    "ValidationError": {"construct_path"},
}  # fmt: skip
# The same for methods: no other may be added without a docstring.
UNDOCUMENTED_METHODS = {"SignIn": {"options"}}


class Sections(HTMLParser):
    """pdoc's entries: `<section id=Name>` for a public name, `<div id=Name.member
    class=classattr>` for a member; which of them carry a docstring, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, bool] = {}
        self.open: list[tuple[str | None, int]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("div", "section"):
            return
        values = {key: value or "" for key, value in attrs}
        classes = values.get("class", "").split()
        self.depth += 1
        if values.get("id") and (tag == "section" or "classattr" in classes):
            self.entries[values["id"]] = False
            self.open.append((values["id"], self.depth))
        elif "docstring" in classes and self.open:
            self.entries[self.open[-1][0]] = True

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("div", "section"):
            return
        if self.open and self.open[-1][1] == self.depth:
            self.open.pop()
        self.depth -= 1


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return api_docs.build(tmp_path_factory.mktemp("docs") / "docs")


@pytest.fixture(scope="module")
def entries(reference: Path) -> dict[str, bool]:
    parser = Sections()
    parser.feed((reference / PAGE).read_text(encoding="utf-8"))
    return parser.entries


def public_classes() -> dict[str, type]:
    return {
        name: getattr(package, name)
        for name in package.__all__
        if inspect.isclass(getattr(package, name))
    }


def own_members(cls: type) -> dict[str, object]:
    """Public members the package defines on the class or its own bases (not aws_cdk's)."""
    members: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.split(".")[0] != package.__name__:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_"):
                members[name] = value
        for name in vars(klass).get("__annotations__", {}):
            if not name.startswith("_"):
                members.setdefault(name, None)
    return members


def is_method(value: object) -> bool:
    return inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod))


def test_the_reference_has_an_index_and_the_package_page(reference):
    assert (reference / "index.html").is_file()
    assert (reference / PAGE).is_file()


def test_every_relative_link_resolves(reference):
    assert api_docs.broken_links(reference) == []


def test_links_are_followed_to_their_anchors(reference):
    """The check has something to check: the page links its own members and index.html
    forwards to it."""
    page = api_docs.parse(reference / PAGE)
    local = [link for _, link in page.links if link.startswith("#")]
    assert len(local) > 100
    assert "#NotebookInstance.metric_running_minutes" in local
    assert [link for _, link in api_docs.parse(reference / "index.html").links] == [f"./{PAGE}"]


def test_a_broken_link_is_reported(reference, tmp_path):
    broken = tmp_path / "docs"
    shutil.copytree(reference, broken)
    page = broken / PAGE
    html = page.read_text(encoding="utf-8")
    # A target pdoc links to disappears: add_alarms' docstring links metric_running_minutes.
    target = 'id="NotebookInstance.metric_running_minutes"'
    assert html.count(target) == 1
    html = html.replace(target, 'id="renamed"')
    html += (
        '<a href="#NoSuchMember">a</a>'
        '<a href="missing.html">b</a>'
        f'<a href="{PAGE}#Nope">c</a>'
        '<a href="../outside.html">d</a>'
        '<a href="#PresignedUrlApi">fine</a>'
        '<a href="https://example.com/not-followed">external</a>'
    )
    page.write_text(html, encoding="utf-8")
    (broken / "index.html").write_text('<meta http-equiv="refresh" content="0; url=./gone.html">')

    problems = api_docs.broken_links(broken)

    text = "\n".join(problems)
    # The docstring's link and the navigation's, at least.
    lost = [p for p in problems if "#NotebookInstance.metric_running_minutes: no anchor" in p]
    assert len(lost) >= 2 and all(p.startswith(f"{PAGE}:") for p in lost), text
    assert len(problems) == len(lost) + 5, text
    assert "#NoSuchMember: no anchor #NoSuchMember there" in text
    assert "missing.html: no file missing.html" in text
    assert f"{PAGE}#Nope: no anchor #Nope there" in text
    assert "../outside.html: leaves the reference" in text
    assert "index.html:1: ./gone.html: no file gone.html" in text
    assert "example.com" not in text and "#PresignedUrlApi:" not in text


def test_make_docs_fails_on_a_broken_link(reference, tmp_path, capsys):
    """tools/api_docs.py's exit status is what `make docs` returns."""
    output = tmp_path / "docs"
    shutil.copytree(reference, output)
    assert api_docs.report(output) == 0
    (output / "extra.html").write_text('<a href="#nowhere">x</a>')
    assert api_docs.report(output) == 1
    error = capsys.readouterr().err
    assert "broken link: extra.html:1: #nowhere: no anchor #nowhere there" in error


def test_every_public_name_has_a_documented_section(entries):
    for name in package.__all__:
        assert entries.get(name) is True, f"{name}: no section with a docstring in {PAGE}"


@pytest.mark.parametrize("name", sorted(public_classes()))
def test_every_public_method_is_documented(entries, name):
    cls = public_classes()[name]
    methods = [member for member, value in own_members(cls).items() if is_method(value)]
    for member in methods:
        assert f"{name}.{member}" in entries, f"{name}.{member} is missing from {PAGE}"
    undocumented = {member for member in methods if not entries[f"{name}.{member}"]}
    assert undocumented <= UNDOCUMENTED_METHODS.get(name, set()), (
        f"{name}: methods without a docstring in {PAGE}: {sorted(undocumented)}"
    )


@pytest.mark.parametrize("name", sorted(public_classes()))
def test_every_public_attribute_is_listed(entries, name):
    members = own_members(public_classes()[name])
    listed = {entry.split(".", 1)[1] for entry in entries if entry.startswith(f"{name}.")}
    assert set(members) <= listed, f"{name}: {sorted(set(members) - listed)} missing from {PAGE}"
    # The class's docstring documents __init__'s props; methods are the test above's.
    attributes = {m for m in listed if m != "__init__" and not is_method(members.get(m))}
    undocumented = {member for member in attributes if not entries[f"{name}.{member}"]}
    new = undocumented - UNDOCUMENTED_ATTRIBUTES.get(name, set())
    assert not new, f"{name}: attributes without a docstring in {PAGE}: {sorted(new)}"


def test_the_main_constructs_list_what_they_create(entries):
    """Attributes set in __init__ (not only declared on the class) show too."""
    for entry in (
        "NotebookInstance.role",
        "NotebookInstance.notebook_instance_arn",
        "IpRestrictedNotebook.api",
        "PresignedUrlApi.function",
        "PrivateVpc.flow_log",
    ):
        assert entry in entries
