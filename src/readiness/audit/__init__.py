"""audit: the append-only record of who changed what (the audit database).

This first version keeps a SHA-256 hash chain over events; the Merkle ledger of the handbook's
Part XIII builds on the same table in a later issue.
"""
