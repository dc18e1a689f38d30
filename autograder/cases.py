"""Building blocks of the hidden tests in ``solutions/<name>/hidden.py``.

Two rules make a hidden test grade the same code the same way for every student:

* **Fixed cases first.** :func:`fixed_then_random` puts cases drawn from one fixed seed,
  of shapes chosen so that every typical bug of the exercise fails them (lengths beyond
  the delay, non-square weights, several sequences, non-zero initial states), before
  the cases drawn per student. A bug cannot hide behind a lucky draw;
  ``tests/exercises/test_fairness.py`` checks it for every variant of ``bugs.py``.
* **float64 only.** :func:`challenge` appends a check to the kernel code: any float
  array in what the student's functions returned (outputs, caches, gradients) that is
  not float64 fails the case with an explanation, for every student and every case,
  instead of passing or failing by luck at the tolerance. The visible tests
  (``rnncheck``) say the same.
"""

from __future__ import annotations

import ast

import numpy as np

from .challenge import DEFAULT_TOL, Challenge

__all__ = ["FIXED_SEED", "fixed_then_random", "with_fixed_draw", "fixed_draws", "challenge",
           "float64_guard"]

FIXED_SEED = 20_260_202


def fixed_then_random(build, fixed, random):
    """A ``cases(rng)`` function for a :class:`Challenge`.

    ``build(rng, *shape)`` makes one case; ``fixed`` is a list of shapes (built from
    ``FIXED_SEED``, the same for every student); ``random(rng)`` yields the per-student
    shapes, built from the student's generator.
    """
    def cases(rng):
        fixed_rng = np.random.default_rng(FIXED_SEED)
        return ([build(fixed_rng, *shape) for shape in fixed]
                + [build(rng, *shape) for shape in random(rng)])
    return cases


class _Assigned(ast.NodeVisitor):
    """Names a piece of code binds at its top level (not inside comprehensions or lambdas,
    whose variables do not outlive them)."""

    def __init__(self):
        self.names = []

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store) and node.id not in self.names \
                and not node.id.startswith("_"):
            self.names.append(node.id)

    def _skip(self, node):
        pass

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _skip
    visit_Lambda = visit_FunctionDef = visit_ClassDef = _skip


def _assigned_names(code):
    finder = _Assigned()
    finder.visit(ast.parse(code))
    return finder.names


_GUARD = '''
for _name, _value in [{pairs}]:
    _todo, _seen = [_value], 0
    while _todo and _seen < 10000:
        _item = _todo.pop()
        _seen += 1
        if isinstance(_item, dict):
            _todo.extend(_item.values())
        elif isinstance(_item, (list, tuple)):
            _todo.extend(_item)
        else:
            _kind = getattr(getattr(_item, "dtype", None), "kind", "")
            if _kind == "f" and _item.dtype.itemsize != 8:
                raise TypeError(
                    f"{{_name}} holds {{_item.dtype}} numbers: compute in float64 (numpy's "
                    f"default, e.g. np.zeros(shape) without dtype=): {{_item.dtype}} rounding "
                    f"is too coarse for the tests")
'''


def float64_guard(kernel):
    """``kernel`` followed by the float64 check of every name it assigns."""
    names = _assigned_names(kernel)
    pairs = ", ".join(f"({n!r}, {n})" for n in names)
    return kernel.rstrip() + "\n" + _GUARD.format(pairs=pairs)


def challenge(grade_id, cases, kernel, reference, tol=DEFAULT_TOL):
    """A :class:`Challenge` whose kernel code also enforces float64 (see above)."""
    return Challenge(grade_id, cases, float64_guard(kernel), reference, tol)


def with_fixed_draw(cases, seed=FIXED_SEED):
    """``cases(rng)`` drawn once from a fixed seed (the same for every student, and checked
    to catch every typical bug), followed by the student's own draw."""
    def both(rng):
        return cases(np.random.default_rng(seed)) + cases(rng)
    return both


def fixed_draws(challenges, seed=FIXED_SEED):
    """``challenges`` with :func:`with_fixed_draw` cases and the float64 check: for hidden
    tests whose case generators already vary every shape they need."""
    return [challenge(c.grade_id, with_fixed_draw(c.cases, seed), c.kernel, c.reference, c.tol)
            for c in challenges]
