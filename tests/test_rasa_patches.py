"""The Rasa runtime fixes keep Rasa's behaviour: valid action responses pass, invalid ones fail."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import bot.components  # noqa: F401 - applies the fixes, as the Rasa server does
from bot import rasa_patches

VALID = {"events": [{"event": "slot", "name": "language", "value": "ja", "timestamp": None}],
         "responses": [{"text": "answer", "buttons": [{"title": "t", "payload": "/greet"}]}]}


@pytest.fixture()
def action() -> RemoteAction:
    return RemoteAction("action_answer_fact", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_patch_is_installed_by_importing_the_components():
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result


def test_valid_response_passes(action):
    assert action._validate_action_result(VALID) is True


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"events": [{"event": "slot", "timestamp": "soon"}]},
                                 {"events": [{"no_event_key": 1}]}])
def test_invalid_response_fails_with_rasas_message(action, bad):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(bad)


def test_schema_is_checked_once_not_per_call(action, monkeypatch):
    action._validate_action_result(VALID)  # builds the validator (and checks the schema) once
    calls = []
    validator_class = type(rasa_patches._action_response_validator())
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, s: calls.append(s)))
    for _ in range(20):
        action._validate_action_result(VALID)
    assert calls == []
