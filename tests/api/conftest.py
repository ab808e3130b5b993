"""Collection fixes for the API tests."""

from __future__ import annotations

import pytest
from _pytest.nodeid import NodeId


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """schemathesis names each operation's test `test_...[GET /path]`, but under pytest 9 every
    one of them gets the function's node id. pytest-xdist tells tests apart by node id and would
    run one operation of the 43; each gets back an id of its own, from its name."""
    for item in items:
        if item.name != item.nodeid.rsplit("::", 1)[-1] and hasattr(item, "_id"):
            item._id = NodeId.parse(f"{item.parent.nodeid}::{item.name}")  # type: ignore[union-attr]
