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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End the session with the parity count: side-by-side runs, and how many were bit-exact."""
    import oracle  # imported here: the test modules put it on the path

    if oracle.TALLY.runs:
        terminalreporter.write_line(oracle.TALLY.summary())
