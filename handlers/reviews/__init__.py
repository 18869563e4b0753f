"""Service performance reviews: the review of each cycle, the discussion with the customer,
the review record and the improvement proposals it makes.

- ``models``: Review, ImprovementProposal
- ``operations``: open, discuss and record reviews; proposals; the area's handlers
"""
