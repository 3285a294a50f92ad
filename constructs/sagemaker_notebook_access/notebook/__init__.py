"""The notebook instance.

The construct, its IP policy, idle-stop lifecycle script, entitlement tags and the tag
guard.
"""
