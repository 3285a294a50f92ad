"""Reaching AWS from private subnets.

Endpoint reach between notebooks and interface endpoints; security groups closed in EC2.
"""
