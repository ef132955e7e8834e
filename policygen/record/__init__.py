"""Recorded calls: what the user's own tests make the function call, through botocore.

`run.record` runs a test command with a start-up hook (`hook`) that sees every botocore call;
`observed` holds the values and the versioned file they are kept in.
"""
