"""The hub side of notebooks in many accounts (issue 22): NotebookAccessHub."""
