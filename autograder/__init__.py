"""The instructor pipeline on top of nbgrader: release, collect, sandboxed grading, feedback, export."""
