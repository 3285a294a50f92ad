"""The URL-minting REST API.

The construct, its routes and gateway responses, WAF, account logging, grants and capacity.
"""
