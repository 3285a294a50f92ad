"""The spoke: notebooks in a member account, served by a hub API in another account.

The role the hub's function assumes there, its policy, and the checks of its props.
"""
