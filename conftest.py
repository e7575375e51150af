"""Test-session setup shared by the unit tests and nbval (which runs every notebook).

* One fixed environment, inherited by the notebook kernels nbval starts, so that
  regenerated outputs (tools/run_notebooks.py sets the same) compare equal on any machine.
* nbval compares text outputs token by token: words exactly, numbers within the noise a
  different CPU's instruction set leaves in the last printed digit
  (``tools/tolerant_compare.py`` states and justifies the rule).
* nbval runs cells with ``store_history=False``, under which IPython does not treat a
  trailing ``;`` as "suppress output". Learners expect ``plt.plot(...);`` to print nothing,
  and the stored outputs were produced with history on, so run cells with history on.
"""
import os

from tools.notebook_env import NOTEBOOK_ENV
from tools.tolerant_compare import install_in_nbval

os.environ.update(NOTEBOOK_ENV)

try:
    import nbval.kernel
except ImportError:  # nbval not installed: unit tests still run
    nbval = None
else:
    def _execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(
            cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
        )

    nbval.kernel.RunningKernel.execute_cell_input = _execute_cell_input
    install_in_nbval()
