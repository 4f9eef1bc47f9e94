"""Custom Rasa NLU graph components, one per file, referenced by module path in config.yml.

Importing this package (which the Rasa server does to load the model) also applies the measured
runtime fixes in ``bot.rasa_patches``.
"""

from bot import rasa_patches

rasa_patches.apply()
