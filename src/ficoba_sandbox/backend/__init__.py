"""The FICOBA backend (`/fcb-masrestit/api/v2`): search-type rules, search, restitution.

- `demandes`: a request as the backend reads it (the API's `reading.py` builds them);
- `rules`: the search type, the requester and motif, the search-type rules (CAF0xx codes);
- `searches`: `Backend`: rights, then each resource's rules and search in the store;
- `restitution`: what an answer restitutes, filtered by the caller's data scopes;
- `results`: the answer as the backend states it, which the API serialises with the official
  field names.

No web framework here.
"""
