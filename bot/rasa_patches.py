"""Measured fixes to Rasa 3.6.21 internals that cannot be made through its extension points.

Applied once per Rasa server process by ``bot.components`` (the server imports our NLU components
when it loads the model, so every process that runs the model gets them). Each fix keeps Rasa's
behaviour and only removes a measured cost; ``tests/test_rasa_patches.py`` checks both.

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every custom action
  response. That function first validates the *schema* against its meta-schema, every call:
  34 ms of 35 ms per action on this machine (py-spy: a third of the Rasa server's time per fact
  turn). The response is still validated against the same schema, with the same error message,
  by a validator built once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_applied = False


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _action_response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            f"the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions")
        raise
    return True


def apply() -> None:
    """Install the fixes; calling it again does nothing."""
    global _applied
    if not _applied:
        RemoteAction._validate_action_result = _validate_action_result
        _applied = True
