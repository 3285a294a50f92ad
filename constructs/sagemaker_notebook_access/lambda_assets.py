"""Where the library's Lambda code is: inside the installed wheel first, the source tree
second, never the working directory (the wheel maps ``lambda/`` to ``lambda_src``)."""

from __future__ import annotations

from pathlib import Path


def lambda_code_path(folder: str) -> Path:
    """The folder of one function's code (``presigned_url``, ``notebook_watch``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "lambda_src" / folder, here.parent.parent / "lambda" / folder):
        if (candidate / "handler.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"the {folder} handler is missing from this installation of sagemaker_notebook_access "
        "(looked in lambda_src/ and ../../lambda/)"
    )
