"""Render the props tables of docs/props.md from the constructs' docstrings.

`python tools/props_table.py --write` rewrites the block between the props markers
in docs/props.md; tests/package/test_readme.py fails when the page and the docstrings differ.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

PROPS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "props.md"
START, END = "<!-- props:start -->", "<!-- props:end -->"
CLASSES = (
    "IpRestrictedNotebook",
    "NotebookAccessHub",
    "NotebookAccessSpoke",
    "NotebookInstance",
    "NotebookIpPolicy",
    "NotebookPortal",
    "PresignedUrlApi",
    "PrivateVpc",
    "TagGuardPolicy",
)
PARAM = re.compile(r":param (\w+):(.*?)(?=\n\s*:param |\n\s*\n|\Z)", re.S)


def documented_props(cls: type) -> dict[str, str]:
    doc = inspect.getdoc(cls) or ""
    return {name: " ".join(text.split()) for name, text in PARAM.findall(doc)}


def keyword_props(cls: type) -> list[str]:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]


def render() -> str:
    import sagemaker_notebook_access as library

    parts = []
    for name in CLASSES:
        cls = getattr(library, name)
        docs = documented_props(cls)
        rows = [
            f"| `{prop}` | {docs.get(prop, '**undocumented**')} |" for prop in keyword_props(cls)
        ]
        summary = (inspect.getdoc(cls) or "").split("\n", 1)[0]
        parts.append(
            "\n".join(
                [
                    f"## `{name}`",
                    "",
                    summary,
                    "",
                    "| prop | meaning and default |",
                    "|---|---|",
                    *rows,
                ]
            )
        )
    return "\n\n".join(parts)


def page_block(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main() -> int:
    text = PROPS_PAGE.read_text()
    block = render()
    if "--write" in sys.argv:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        PROPS_PAGE.write_text(f"{before}{START}\n{block}\n{END}{after}")
        return 0
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
