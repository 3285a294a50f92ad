"""Code that runs outside CDK.

The idle-stop checker (on the notebook, Python 3.9) and the notebook-url client.
"""
