"""Display codes (README.md, "The queue"): a prefix and a number of at least three digits, wider past
999, so a busy day never hands out a code twice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from schedq.db.models import TicketCounter
from schedq.domain.codes import display_code


@given(st.sampled_from("ARB"), st.integers(1, 9_999_999))
def test_a_code_reads_as_its_prefix_and_its_number_at_least_three_digits_wide(prefix, number):
    code = display_code(prefix, number)
    digits = code.removeprefix(prefix)
    assert code.startswith(prefix) and digits.isdigit()
    assert int(digits) == number
    assert len(digits) == max(3, len(str(number)))


@pytest.mark.usefixtures("backend")
def test_the_thousandth_walk_in_of_the_day_reads_a1000(q, make_uow):
    first = q.walk_in()
    # As if 997 more patients had taken a kiosk ticket today (the day's counter, not 997 joins).
    with make_uow() as uow:
        uow.session.execute(update(TicketCounter).where(TicketCounter.prefix == "A").values(last_number=998))
        uow.commit()
    codes = [first.code, q.walk_in().code, q.walk_in().code, q.walk_in().code]
    assert codes == ["A001", "A999", "A1000", "A1001"]
    assert sorted(t.code for t in q.queue().tickets) == sorted(codes)
