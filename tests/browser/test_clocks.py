"""Reporting clocks on the board: the operator's countdown per pending stage beside its
incidents, red once overdue, and the supervisor's "Overdue reports" for its sectors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import Service, severe

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect


def test_the_operator_sees_its_countdowns_and_the_supervisor_what_is_overdue(
    service: Service, open_board
) -> None:
    operator = service.operator("grid-north", "energy")
    admin = service.client(service.admin_key)
    assigned = admin.put("/v1/orgs/grid-north/regimes", json={"regimes": ["nis2"]})
    assert assigned.status_code == 200, assigned.text
    fresh = service.report(operator, severe())
    aware = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    late = service.report(operator, severe(aware_at=aware))

    board = open_board(service.url, operator)
    page = board.page
    row = page.locator(f'#own-incidents tr[data-incident="{fresh}"]')
    early = row.locator('.countdown[data-stage="early_warning"]')
    expect(early).to_have_text(re.compile(r"NIS2 early warning due in 23h 5\dm"))
    expect(early).not_to_have_class(re.compile(r"\boverdue\b"))
    expect(row.locator('.countdown[data-stage="notification"]')).to_contain_text(
        "NIS2 incident notification due in 2d 23h"
    )
    overdue = page.locator(f'#own-incidents tr[data-incident="{late}"] .countdown.overdue')
    expect(overdue).to_have_count(1)
    expect(overdue).to_have_text(re.compile(r"NIS2 early warning overdue by 6h"))
    color = overdue.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(179, 38, 30)"
    overdue.scroll_into_view_if_needed()
    board.shot("reporting-clocks-operator")
    board.assert_clean()

    supervisor = service.key("supervisor", sectors=["energy"])
    board = open_board(service.url, supervisor)
    listed = board.page.locator("#overdue-reports li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(f"grid-north (Energy), incident #{late}")
    expect(listed).to_contain_text("NIS2 early warning overdue by 6h")
    board.shot("reporting-clocks-supervisor")
    board.assert_clean()
