"""The live knowledge contest (知识竞赛): teams, a drawn question set, required, buzzer and risk rounds,
a countdown, a projector view and team pages, served by one small server (``lianzheng contest``).

Pure scoring is in :mod:`.rounds`, the question set in :mod:`.draw`, the running contest in :mod:`.room`,
what the store keeps in :mod:`.record` and the pages and their server in :mod:`.server`.
"""

from toolkit.contest.draw import Plan, draw
from toolkit.contest.room import ContestRoom, Settings
from toolkit.contest.rounds import ROUNDS, Points, points, standings

__all__ = ["ROUNDS", "ContestRoom", "Plan", "Points", "Settings", "draw", "points", "standings"]
