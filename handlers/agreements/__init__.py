"""Service level agreements: drafts from the chosen option, negotiation (each
counter-proposal a new version with a readable diff), approval, activation and the review cycle.

- ``models``: ServiceLevelAgreement, SLAVersion
- ``operations``: draft, revise, activate, terminate; the area's handlers
- ``negotiation``: terms, changes and their diffs
"""
