import pytest

# Show what differs when a shared assertion in helpers.py fails, as in a test module.
pytest.register_assert_rewrite("tests.ledger.helpers")
