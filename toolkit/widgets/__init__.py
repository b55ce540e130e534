"""Widgets learners answer in: the interactive edition of the worksheet and the quiz."""
