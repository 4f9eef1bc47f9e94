"""Our package: facts store, language handling, custom Rasa components, CLI.

Layout: ``bot.facts`` (the facts store and its operator CLI), ``bot.language`` (language
detection and resolution), ``bot.components`` (Rasa NLU graph components), ``bot.settings``
(every setting, read from environment variables).
"""
