"""The ``Schedule`` object every schedule function returns (``schedule_math.py``)."""

from __future__ import annotations

import inspect
import pydoc

from mlx_lr_scheduler import schedules


def test_signature_of_the_class_and_of_a_schedule():
    # help() and IDEs ask inspect.signature for both.
    assert list(inspect.signature(schedules.Schedule).parameters) == [
        "function",
        "name",
        "arguments",
    ]
    assert list(inspect.signature(schedules.step_lr(0.1, 2)).parameters) == ["step"]
    assert "schedule(step)" in pydoc.render_doc(schedules.Schedule)


def test_repr_names_the_factory_call():
    schedule = schedules.step_lr(0.1, step_size=2, gamma=0.5)
    assert repr(schedule) == "step_lr(base_lr=0.1, step_size=2, gamma=0.5, steps_per_epoch=1)"
    assert schedule(4) == 0.025
