"""Reaching AWS from private subnets.

Endpoint reach between notebooks and interface endpoints; security groups closed in EC2;
the subnets notebooks and the URL function go into.
"""
