"""Opt-outs belong to a contact on one channel (README: "Channels")."""

from __future__ import annotations

import pytest

from schedq.notify.message import ChannelName
from schedq.services import opt_outs


@pytest.mark.usefixtures("backend")
def test_an_opt_out_holds_for_its_channel_and_address_only(make_uow, clock):
    with make_uow() as uow:
        assert opt_outs.opt_out(uow, ChannelName.EMAIL, " Ana@Example.org ", clock())
        assert not opt_outs.opt_out(uow, ChannelName.EMAIL, "ana@example.org", clock())  # already
        uow.commit()
    with make_uow() as uow:
        assert opt_outs.is_opted_out(uow, ChannelName.EMAIL, "ANA@example.org")
        assert not opt_outs.is_opted_out(uow, ChannelName.SMS, "ana@example.org")
        assert not opt_outs.is_opted_out(uow, ChannelName.EMAIL, "bea@example.org")
        assert opt_outs.opt_in_again(uow, ChannelName.EMAIL, "ana@example.org")
        assert not opt_outs.opt_in_again(uow, ChannelName.EMAIL, "ana@example.org")
        uow.commit()
    with make_uow() as uow:
        assert not opt_outs.is_opted_out(uow, ChannelName.EMAIL, "ana@example.org")


def test_an_opt_out_left_uncommitted_is_not_kept(make_uow, clock):
    with make_uow() as uow:
        opt_outs.opt_out(uow, ChannelName.SMS, "+12175550123", clock())
    with make_uow() as uow:
        assert not opt_outs.is_opted_out(uow, ChannelName.SMS, "+12175550123")
