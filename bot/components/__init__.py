"""Custom Rasa NLU graph components, one per file, referenced by module path in config.yml."""
