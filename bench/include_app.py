"""Floor app for the benchmark: the demo's own template, read back with CfnInclude.

Usage: python bench/include_app.py TEMPLATE. The same resources as the demo stack, but as
L1 constructs parsed from JSON: what synthesizing these resources costs at the least, so
the demo's synth time above this is what the L2 constructs, the packs and our code add.
"""

import sys

import aws_cdk as cdk
from aws_cdk import cloudformation_include as cfn_inc

app = cdk.App()
stack = cdk.Stack(app, "Included")
cfn_inc.CfnInclude(stack, "Demo", template_file=sys.argv[1])
app.synth()
