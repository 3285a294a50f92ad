"""`python -m sagemaker_notebook_access`: the notebook-url client, without the console script."""

import sys

from .runtime.cli import main

if __name__ == "__main__":
    sys.exit(main())
