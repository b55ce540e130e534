"""The kernel of a learner's page (kernel spec ``lianzheng-learner``): IPython's kernel without debugpy.

ipykernel imports debugpy and pydevd at start whenever they are installed, about 8 MB in every kernel,
for a debugger no learner's page offers. Marking ``debugpy`` as missing before ipykernel starts makes
it start without (as where debugpy is not installed); nothing else changes.

    python -m toolkit.widgets.kernel -f CONNECTION_FILE
"""

from __future__ import annotations

import sys


def main() -> None:
    sys.modules["debugpy"] = None  # type: ignore[assignment]  # import debugpy now raises ImportError
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
