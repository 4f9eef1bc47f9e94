"""The action server (rasa-sdk): every custom action, one module per concern.

Run with ``python -m rasa_sdk --actions actions`` (what ``rasa run actions`` runs, without
importing Rasa itself). Actions read facts only through
``bot.facts.FactsStore`` and decide the reply language only through ``bot.language``.

The facts store (``FACTS_DB_URL``) is checked when rasa-sdk imports this package: a missing, empty
or corrupt store raises ``StoreUnreadableError``, whose message names the file and the command that
rebuilds it (`make facts`), and the action server exits non-zero instead of starting and answering
every question with "I don't know". (Importing the actions in tests needs a built store too.)
"""

from bot.facts.store import FactsStore
from bot.metrics import register

FactsStore.open_checked()
register()  # /metrics on the action server's port (rasa-sdk's Sanic plugin hook; bot/metrics.py)
