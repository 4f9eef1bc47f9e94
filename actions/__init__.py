"""The action server (rasa-sdk): every custom action, one module per concern.

Run with ``rasa run actions --actions actions``. Actions read facts only through
``bot.facts.FactsStore`` and decide the reply language only through ``bot.language``.
"""
