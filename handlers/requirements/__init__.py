"""Service level requirements: what a customer asks for, its assessment into measurable
requirements, and the ranked options from the catalogue (mission rule 4).

- ``models``: ServiceLevelRequirement
- ``operations``: submit, assess, match and record the chosen option; the area's handlers
- ``matching``: ranks catalogue options against measurable requirements
"""
