"""The bank's door: an HTTP service over the published marts (creditlake serve).

A bank authenticates with its API key, states a purpose, and sees an enterprise only under an
active authorisation for that purpose; every request, refused ones included, is written to a
hash-chained audit log before its answer leaves.
"""
