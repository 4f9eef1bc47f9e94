"""Starting, watching and stopping the bot's two servers: the action server (rasa-sdk) and the
Rasa server.

``processes`` is the one place their commands, environment and health checks are defined; `make
run` (``python -m bot.runtime.supervise``, which restarts a crashed server), the tests that talk
to the bot over its channels (tests/servers.py) and the benchmark (bench/) all start them with it.
"""
