"""Build the API reference from the docstrings (pdoc) and check its links.

`python tools/api_docs.py [DIR]` writes the reference to DIR (default build/docs/, what
`make docs` does) and fails when a relative link in it leads nowhere; tests/package/test_docs.py
builds it the same way and checks what it shows.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "sagemaker_notebook_access"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "docs"
TEMPLATES = Path(__file__).resolve().parent / "pdoc"


def project_version() -> str:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    """Write the reference of the public package to `output` (emptied first); return it."""
    import pdoc
    import pdoc.render

    package = importlib.import_module(PACKAGE)
    # The package loads its public names on first use (PEP 562, for the CLI's start-up);
    # pdoc documents what the module holds, so load every name in __all__ first.
    for name in package.__all__:
        getattr(package, name)
    pdoc.render.configure(
        docformat="restructuredtext",
        show_source=False,
        footer_text=f"sagemaker-notebook-access {project_version()}",
        template_directory=TEMPLATES,
    )
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    pdoc.pdoc(PACKAGE, output_directory=output)
    return output


class Page(HTMLParser):
    """The anchors a page defines and the links it makes (with their line numbers)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()
        self.links: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if values.get("id"):
            self.anchors.add(values["id"])
        if tag == "a" and values.get("name"):
            self.anchors.add(values["name"])
        line = self.getpos()[0]
        for key in ("href", "src"):
            if values.get(key):
                self.links.append((line, values[key]))
        # index.html forwards to the package's page this way.
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            _, _, target = values.get("content", "").partition("url=")
            if target:
                self.links.append((line, target.strip()))


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def broken_links(root: Path) -> list[str]:
    """Every relative href/src under `root` that names no file there or no anchor in it.

    Links with a scheme or a host (https://..., mailto:) are not followed: the check runs
    offline. Each problem reads `page:line: link: why`.
    """
    root = root.resolve()
    pages = {path: parse(path) for path in sorted(root.rglob("*.html"))}
    problems = []
    for path, page in pages.items():
        for line, link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(root)}:{line}: {link}"
            if not target.is_relative_to(root):
                problems.append(f"{where}: leaves the reference")
            elif not target.is_file():
                problems.append(f"{where}: no file {target.relative_to(root)}")
            elif parts.fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else parse(target).anchors
                if unquote(parts.fragment) not in anchors:
                    problems.append(f"{where}: no anchor #{parts.fragment} there")
    return problems


def report(output: Path) -> int:
    """Print each broken link of the reference in `output`; the exit status `make docs` gets."""
    problems = broken_links(output)
    for problem in problems:
        print(f"broken link: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"API reference: {output / 'index.html'}")
    return 0


def main(argv: list[str]) -> int:
    return report(build(Path(argv[0]).resolve() if argv else DEFAULT_OUTPUT))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
