import os

from hypothesis import HealthCheck, settings

# CI runs at least 200 hypothesis examples per parity property.
settings.register_profile(
    "default",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")
