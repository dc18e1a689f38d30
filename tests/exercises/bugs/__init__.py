"""Typical-bug variants of each exercise: ``bugs/<assignment>.py`` defines ``BUGS``.

Each bug is a dict:

``name``      what a student got wrong;
``replace``   ``[(old, new), ...]`` text replacements in the solution cells (each
              ``old`` must occur exactly once);
``lost``      the grade ids that must score 0 (every other autograded cell keeps its
              full points);
``message``   text the visible test output of every lost cell must contain (a str),
              or a dict grade_id -> text.
"""
