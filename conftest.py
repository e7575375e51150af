"""Test-session setup shared by the unit tests and nbval (which runs every notebook).

* One fixed environment, inherited by the notebook kernels nbval starts, so that
  regenerated outputs (tools/run_notebooks.py sets the same) compare equal on any machine.
* nbval runs cells with ``store_history=False``, under which IPython does not treat a
  trailing ``;`` as "suppress output". Learners expect ``plt.plot(...);`` to print nothing,
  and the stored outputs were produced with history on, so run cells with history on.
"""
import os

from tools.notebook_env import NOTEBOOK_ENV

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
