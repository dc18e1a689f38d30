"""Solution lines the course publishes on purpose, each with the reason.

The leak test treats every significant line between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` as secret. A few such lines are also, legitimately, part of code
the course gives away: an equation of the book written in numpy, or a one-line gradient
that a later exercise's *given* helper must contain. They are listed here one by one,
so that every other solution line still counts as a leak wherever it appears.
"""

# None at present: the exercises of the second edition give away no solution line.
PUBLISHED: dict[str, str] = {}
