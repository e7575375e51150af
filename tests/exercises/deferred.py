"""Answers that take seconds to compute (experiments) are built when their test runs, not
when pytest collects the tests: wrap them in ``Deferred(lambda: value)``."""


class Deferred:
    def __init__(self, make):
        self.make = make
        self._value = None
        self._made = False

    def value(self):
        if not self._made:
            self._value, self._made = self.make(), True
        return self._value


def resolve(answer):
    return answer.value() if isinstance(answer, Deferred) else answer
