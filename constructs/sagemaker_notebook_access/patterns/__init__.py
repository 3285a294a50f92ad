"""Compositions of the rooms: IpRestrictedNotebook and the private VPC it creates."""
