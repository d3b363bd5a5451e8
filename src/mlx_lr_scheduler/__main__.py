"""``python -m mlx_lr_scheduler``: the ``mlx-lr`` command (see :mod:`mlx_lr_scheduler.cli`)."""

import sys

from mlx_lr_scheduler.cli import main

if __name__ == "__main__":
    sys.exit(main())
