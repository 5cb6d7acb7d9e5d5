"""Teacher-side tools for the Week 11 nbgrader course: the release/collect/grade/feedback/export
loop around nbgrader, and the bridge that puts the autograder's per-check scores into nbgrader's
gradebook. Students never need this package; the notebook's check cells call `course.bridge`."""

__version__ = "0.1.0"
