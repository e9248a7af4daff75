"""`policy validate`: every check of a policy's files, collected before reporting, by rule family.
"""
