"""``python -m bot.review`` (``make review``): see bot.review.cli."""

import sys

from bot.review.cli import main

sys.exit(main())
