"""A hostile token re-enters the escrow while it pays or collects: the re-entry is refused, no value moves twice.

Payees get plain ERC-20 transfers, which call no code of theirs, so the token is the only party that ever gets
control during a call; contracts/test/ReentrantToken.vy plays it."""

import boa
import pytest

import escrow_kit as kit


@pytest.mark.parametrize("outer_entry,inner_entry", [
    ("batch", "batch"), ("one", "one"), ("one", "batch"), ("batch", "one"),
])
def test_a_token_reentering_settlement_is_refused(escrow, hostile, owner, session_key, outer_entry, inner_entry):
    first, second = (kit.register(escrow, kit.grant_message(owner, session_key, hostile.address, salt=bytes([i]) * 32))
                     for i in range(2))
    # Worst case: the payee (carelessly) made the token its settler, so only the lock stands in the way.
    escrow.setSettler(hostile.address, True, sender=kit.PAYEE)
    inner = [kit.claim(kit.voucher_message(second, 700_000, 1))]
    # Either settlement entry re-entering either: one lock guards both.
    hostile.arm(escrow.address, escrow.validateAndRecordOne.prepare_calldata(inner[0]) if inner_entry == "one"
                else escrow.validateAndRecord.prepare_calldata(inner))

    outer = kit.claim(kit.voucher_message(first, 400_000, 1))
    result = (escrow.validateAndRecordOne(outer, sender=kit.PAYEE) if outer_entry == "one"
              else escrow.validateAndRecord([outer], sender=kit.PAYEE)[0])
    assert result == kit.SETTLED
    assert hostile.reentryAttempts() == 1 and not hostile.reentrySucceeded()
    assert hostile.balanceOf(kit.PAYEE) == 400_000
    assert escrow.settledAmount(first, kit.PAYEE) == 400_000
    assert escrow.settledAmount(second, kit.PAYEE) == 0
    assert escrow.escrowBalance(owner, hostile.address) == 10_000_000 - 400_000
    # The refused claim was not spent: submitted normally it settles.
    assert escrow.validateAndRecord(inner, sender=kit.PAYEE) == [kit.SETTLED]
    assert hostile.balanceOf(kit.PAYEE) == 1_100_000


def test_a_token_reentering_deposit_cannot_be_credited_twice(escrow, hostile, owner):
    # deposit credits the balance the escrow gained during the call; a nested deposit inside that window would
    # be counted by both calls without the lock.
    hostile.mint(hostile.address, 5_000_000)
    hostile.approve(escrow.address, 5_000_000, sender=hostile.address)
    hostile.arm(escrow.address, escrow.deposit.prepare_calldata(hostile.address, 5_000_000))
    hostile.mint(owner, 1_000_000)
    hostile.approve(escrow.address, 1_000_000, sender=owner)

    escrow.deposit(hostile.address, 1_000_000, sender=owner)
    assert hostile.reentryAttempts() == 1 and not hostile.reentrySucceeded()
    assert escrow.escrowBalance(owner, hostile.address) == 10_000_000 + 1_000_000
    assert escrow.escrowBalance(hostile.address, hostile.address) == 0
    assert hostile.balanceOf(escrow.address) == 11_000_000


def test_a_token_reentering_withdraw_is_refused(escrow, hostile, owner):
    # The token is an escrow owner too, with its own withdrawal ready: re-entering to take it inside the owner's
    # withdrawal is refused (it can still take it in a call of its own afterwards).
    hostile.mint(hostile.address, 2_000_000)
    hostile.approve(escrow.address, 2_000_000, sender=hostile.address)
    escrow.deposit(hostile.address, 2_000_000, sender=hostile.address)
    escrow.requestWithdraw(hostile.address, 2_000_000, sender=hostile.address)
    escrow.requestWithdraw(hostile.address, 3_000_000, sender=owner)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD
    hostile.arm(escrow.address, escrow.executeWithdraw.prepare_calldata(hostile.address))

    assert escrow.executeWithdraw(hostile.address, sender=owner) == 3_000_000
    assert hostile.reentryAttempts() == 1 and not hostile.reentrySucceeded()
    assert hostile.balanceOf(owner) == 3_000_000
    assert escrow.escrowBalance(hostile.address, hostile.address) == 2_000_000
    assert escrow.escrowBalance(owner, hostile.address) == 7_000_000
    assert hostile.balanceOf(escrow.address) == 9_000_000
