"""The FICOBA backend (`/fcb-masrestit/api/v2`): search-type rules, search, restitution.

No FastAPI here: the API layer parses the wire JSON into `demandes` objects, the backend checks
them (CAF0xx codes), searches the store through the `Depot` port and returns `resultats` objects
that the API layer serialises with the official field names.
"""
