"""``python -m bot.facts``: see bot.facts.cli."""

import sys

from bot.facts.cli import main

sys.exit(main())
