"""Exercise checkers: one module ``exNN`` per exercise notebook, built on ``core``.

    from embedkit.exercises.ex01 import q1
    q1.check(my_function); q1.hint(); q1.solution()
"""
from .core import RESULTS, FunctionQuestion, Question, ValueQuestion, Verdict

__all__ = ["RESULTS", "Question", "FunctionQuestion", "ValueQuestion", "Verdict"]
