"""Learners' responses: the SQLite store, grading and the trainer's analysis."""
