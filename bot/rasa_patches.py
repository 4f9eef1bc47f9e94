"""Fixes to Rasa 3.6.21 internals that cannot be made through its extension points.

Applied once per Rasa server process by ``bot.components`` (the server imports our NLU components
when it loads the model, so every process that runs the model gets them).
``tests/test_rasa_patches.py`` checks each one.

- **No silence when the action server fails.** Rasa's ``MessageProcessor._run_action`` logs any
  exception from a custom action and carries on with no events, so a user whose question needs
  the action server gets an empty reply when it is down, answers 5xx, or hangs (for up to Rasa's
  fixed 5-minute request timeout, holding the conversation's lock all that time). Rasa has no hook
  for this, so ``RemoteAction.run`` is wrapped: the call is bounded by ``ACTION_TIMEOUT_SECONDS``
  and any failure is logged and answered with ``utter_facts_unavailable``, a domain response in
  the conversation's language (the ``language`` slot is filled on the Rasa side, from the NLU's
  language entity, so it is right without the action server). ``action_session_start`` falls back
  to Rasa's own session start instead, silently: starting a session must never depend on the
  action server. A 400 from the action server (an action rejecting itself) keeps Rasa's handling.
  Once the action server is back the next turn is normal: nothing is remembered.

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every custom action
  response. That function first validates the *schema* against its meta-schema, every call:
  34 ms of 35 ms per action on this machine (py-spy: a third of the Rasa server's time per fact
  turn). The response is still validated against the same schema, with the same error message,
  by a validator built once.

- **Model loading without a training step.** ``RasaModel.load`` (DIET, the ResponseSelector) builds
  a model's weights by *training it for one step* on an example (``model.fit``), then overwrites
  them with the saved ones. Tracing that training graph is 10.6 s of the 15.5 s the Rasa server
  spends loading our model (cProfile), paid at every start of every server, evaluation and test.
  When the model is loaded for prediction (not for fine-tuning), the saved weights are read
  first and TensorFlow restores each variable as the first prediction creates it (the checkpoint's
  deferred restoration); only the optimizer's state, which prediction never uses, is left unread.
  ``tests/test_rasa_patches.py`` checks that both loaders give the same predictions.

- ``Event.resolve_by_type`` walks every subclass of ``Event`` (recursively, with
  ``inspect.isabstract`` on each) to find one event's class by its type name, for every event of
  every tracker read from the tracker store: 6 % of the Rasa server's time at one sender (py-spy).
  The class found for a type name is remembered; a name not found still goes through Rasa's walk
  (its default, its error), so nothing that Rasa resolves differently can be remembered.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import (
    ActionBotResponse,
    ActionExecutionRejection,
    ActionSessionStart,
    RemoteAction,
)
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.models import RasaModel

from bot.settings import settings

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

#: What the user gets when a custom action cannot run (domain.yml, one text per language).
UNAVAILABLE_RESPONSE = "utter_facts_unavailable"
SESSION_START = "action_session_start"

_applied = False
_original_run = RemoteAction.run
_original_load = RasaModel.load.__func__
_original_resolve_by_type = Event.resolve_by_type
#: Event classes by type name, as Rasa's ``Event.resolve_by_type`` found them.
_event_classes: dict[str, type[Event]] = {}


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


async def _run_or_apologise(self: RemoteAction, output_channel: OutputChannel,
                            nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
                            domain: Domain) -> list[Event]:
    timeout = settings().action_timeout_seconds
    try:
        return await asyncio.wait_for(_original_run(self, output_channel, nlg, tracker, domain),
                                      timeout=timeout)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # noqa: BLE001 - every other failure means the user would get silence
        reason = f"no answer within {timeout:g} s" if isinstance(error, asyncio.TimeoutError) else repr(error)
        logger.error("Custom action '%s' failed for conversation %s (%s); %s.", self.name(),
                     tracker.sender_id, reason,
                     "starting the session without it" if self.name() == SESSION_START
                     else f"answering with {UNAVAILABLE_RESPONSE}")
    if self.name() == SESSION_START:
        return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    return await ActionBotResponse(UNAVAILABLE_RESPONSE).run(output_channel, nlg, tracker, domain)


def _load_for_prediction(cls: type[RasaModel], model_file_name: str, model_data_example: Any,
                         predict_data_example: Any = None, finetune_mode: bool = False,
                         *args: Any, **kwargs: Any) -> RasaModel:
    """``RasaModel.load`` without the one training step, when loading for prediction."""
    if finetune_mode or predict_data_example is None:
        return _original_load(cls, model_file_name, model_data_example, predict_data_example,
                              finetune_mode, *args, **kwargs)
    import tensorflow as tf

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    # As Rasa's loader: compiled with the optimizer it was trained with (prediction ignores it).
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                  run_eagerly=config.get(RUN_EAGERLY))
    status = model.load_weights(model_file_name)
    # The first prediction creates the variables; each takes its saved value as it is created.
    model.run_inference(predict_data_example)
    status.assert_existing_objects_matched()  # every variable prediction uses came from the file
    status.expect_partial()                   # the optimizer's slots are not needed
    return model


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _event_classes.get(type_name)
    if found is None:
        found = _original_resolve_by_type(type_name, default)
        if found is not None and getattr(found, "type_name", None) == type_name:
            _event_classes[type_name] = found
    return found


def apply() -> None:
    """Install the fixes; calling it again does nothing."""
    global _applied
    if not _applied:
        RemoteAction._validate_action_result = _validate_action_result
        RemoteAction.run = _run_or_apologise
        RasaModel.load = classmethod(_load_for_prediction)
        Event.resolve_by_type = staticmethod(_resolve_by_type)
        _applied = True
