"""``python -m shouwang COMMAND``: see :mod:`shouwang.cli`."""

import sys

from shouwang.cli import main

sys.exit(main())
