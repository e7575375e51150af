"""Exercise checkers: one module ``exNN`` per exercise notebook, built on ``core``.

    from embedkit.exercises.ex01 import q1
    q1.check(my_function); q1.hint(); q1.hint(2); q1.solution()
    q3.a.check(answer)        # a question in parts

Notebook 21's self-test mode (a seeded quiz over every interview question) is
``embedkit.course.SelfTest``.
"""
from .core import RESULTS, FunctionQuestion, MultiPartQuestion, Question, ValueQuestion, Verdict, leaf_questions

__all__ = ["RESULTS", "Question", "FunctionQuestion", "ValueQuestion", "MultiPartQuestion", "Verdict",
           "leaf_questions"]
