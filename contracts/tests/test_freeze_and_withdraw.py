"""Freezing session keys (owner or guardian; unfreeze by the owner only) and the owner's delayed withdrawal."""

import boa

import escrow_kit as kit

FUNDED = 100_000_000  # what the `grant` fixture deposits
SENTINEL = kit.address_of(kit.key_for("gateway sentinel"))


def settle_one(escrow, grant_id, cumulative, sequence):
    return escrow.validateAndRecord([kit.claim(kit.voucher_message(grant_id, cumulative, sequence))],
                                    sender=kit.PAYEE)


def test_the_owner_freezes_and_unfreezes(escrow, usdc, grant, owner):
    grant_id, _ = grant
    escrow.freezeSessionKey(grant_id, sender=owner)
    [event] = kit.events(escrow, "SessionKeyFrozen")
    assert (event.grantId, event.by) == (grant_id, owner)
    assert escrow.getGrant(grant_id).frozen
    assert settle_one(escrow, grant_id, 10_000, 1) == [kit.FROZEN]
    assert usdc.balanceOf(kit.PAYEE) == 0

    escrow.unfreezeSessionKey(grant_id, sender=owner)
    [event] = kit.events(escrow, "SessionKeyUnfrozen")
    assert event.grantId == grant_id
    # The packed flags are intact: still limited to its payee, still the same limits.
    state = escrow.getGrant(grant_id)
    assert (state.frozen, state.anyPayee, state.owner, state.totalLimit) == (False, False, owner, 50_000_000)
    assert settle_one(escrow, grant_id, 10_000, 1) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 10_000


def test_freezing_keeps_the_other_packed_fields(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    message = kit.grant_message(owner, session_key, usdc.address, payees=[])
    grant_id = kit.register(escrow, message)
    before = escrow.getGrant(grant_id)
    escrow.freezeSessionKey(grant_id, sender=owner)
    assert escrow.getGrant(grant_id) == before._replace(frozen=True)
    escrow.unfreezeSessionKey(grant_id, sender=owner)
    assert escrow.getGrant(grant_id) == before
    assert before.anyPayee and (before.validAfter, before.validUntil) == (message["validAfter"], message["validUntil"])


def test_a_guardian_freezes_but_cannot_unfreeze(escrow, usdc, grant, owner):
    grant_id, _ = grant
    with boa.reverts("freeze: not the owner or a guardian"):
        escrow.freezeSessionKey(grant_id, sender=SENTINEL)

    escrow.setGuardian(SENTINEL, True, sender=owner)
    [event] = kit.events(escrow, "GuardianSet")
    assert (event.owner, event.guardian, event.enabled) == (owner, SENTINEL, True)
    escrow.freezeSessionKey(grant_id, sender=SENTINEL)
    assert kit.events(escrow, "SessionKeyFrozen")[0].by == SENTINEL
    assert settle_one(escrow, grant_id, 10_000, 1) == [kit.FROZEN]

    with boa.reverts("unfreeze: not the owner"):
        escrow.unfreezeSessionKey(grant_id, sender=SENTINEL)
    with boa.reverts("unfreeze: not the owner"):
        escrow.unfreezeSessionKey(grant_id, sender=kit.PAYEE)
    assert escrow.getGrant(grant_id).frozen
    assert usdc.balanceOf(kit.PAYEE) == 0


def test_a_removed_guardian_can_no_longer_freeze(escrow, grant, owner):
    grant_id, _ = grant
    escrow.setGuardian(SENTINEL, True, sender=owner)
    escrow.setGuardian(SENTINEL, False, sender=owner)
    with boa.reverts("freeze: not the owner or a guardian"):
        escrow.freezeSessionKey(grant_id, sender=SENTINEL)


def test_a_guardian_of_another_owner_cannot_freeze(escrow, grant):
    grant_id, _ = grant
    escrow.setGuardian(SENTINEL, True, sender=kit.PAYEE_2)
    with boa.reverts("freeze: not the owner or a guardian"):
        escrow.freezeSessionKey(grant_id, sender=SENTINEL)


def test_freezing_twice_changes_nothing(escrow, grant, owner):
    grant_id, _ = grant
    escrow.freezeSessionKey(grant_id, sender=owner)
    escrow.freezeSessionKey(grant_id, sender=owner)
    assert escrow.get_logs() == []
    assert escrow.getGrant(grant_id).frozen


def test_an_unknown_grant_cannot_be_frozen(escrow, owner):
    with boa.reverts("grant: unknown"):
        escrow.freezeSessionKey(b"\x42" * 32, sender=owner)


def test_withdraw_waits_for_the_settlement_period(escrow, usdc, grant, owner):
    escrow.requestWithdraw(usdc.address, 60_000_000, sender=owner)
    [event] = kit.events(escrow, "WithdrawRequested")
    ready_at = boa.env.timestamp + kit.SETTLEMENT_PERIOD
    assert (event.owner, event.token, event.amount, event.readyAt) == (owner, usdc.address, 60_000_000, ready_at)

    with boa.reverts("withdraw: delay not over"):
        escrow.executeWithdraw(usdc.address, sender=owner)
    boa.env.timestamp = ready_at - 1
    with boa.reverts("withdraw: delay not over"):
        escrow.executeWithdraw(usdc.address, sender=owner)

    boa.env.timestamp = ready_at
    assert escrow.executeWithdraw(usdc.address, sender=owner) == 60_000_000
    [event] = kit.events(escrow, "Withdrawn")
    assert (event.owner, event.token, event.amount) == (owner, usdc.address, 60_000_000)
    assert usdc.balanceOf(owner) == 60_000_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 60_000_000
    assert usdc.balanceOf(escrow.address) == FUNDED - 60_000_000
    with boa.reverts("withdraw: none pending"):
        escrow.executeWithdraw(usdc.address, sender=owner)


def test_payees_settle_during_the_delay_and_come_first(escrow, usdc, grant, owner):
    grant_id, _ = grant
    escrow.requestWithdraw(usdc.address, FUNDED, sender=owner)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD - 10
    assert settle_one(escrow, grant_id, 30_000_000, 1) == [kit.SETTLED]
    boa.env.timestamp += 10
    assert escrow.executeWithdraw(usdc.address, sender=owner) == FUNDED - 30_000_000
    assert usdc.balanceOf(owner) == FUNDED - 30_000_000
    assert usdc.balanceOf(kit.PAYEE) == 30_000_000
    assert escrow.escrowBalance(owner, usdc.address) == 0
    # After the withdrawal a later voucher finds no escrow: skipped, not paid from anyone else's funds.
    assert settle_one(escrow, grant_id, 40_000_000, 2) == [kit.INSUFFICIENT_ESCROW]
    assert usdc.balanceOf(kit.PAYEE) == 30_000_000


def test_a_new_request_restarts_the_clock_and_cancel_ends_it(escrow, usdc, grant, owner):
    escrow.requestWithdraw(usdc.address, 10_000_000, sender=owner)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD - 1
    escrow.requestWithdraw(usdc.address, 20_000_000, sender=owner)
    boa.env.timestamp += 1
    with boa.reverts("withdraw: delay not over"):
        escrow.executeWithdraw(usdc.address, sender=owner)

    escrow.cancelWithdraw(usdc.address, sender=owner)
    [event] = kit.events(escrow, "WithdrawCancelled")
    assert (event.owner, event.token) == (owner, usdc.address)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD
    with boa.reverts("withdraw: none pending"):
        escrow.executeWithdraw(usdc.address, sender=owner)
    with boa.reverts("withdraw: none pending"):
        escrow.cancelWithdraw(usdc.address, sender=owner)
    assert usdc.balanceOf(owner) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED


def test_a_withdraw_request_is_bounded_by_the_balance_and_per_owner(escrow, usdc, grant, owner):
    with boa.reverts("withdraw: amount out of range"):
        escrow.requestWithdraw(usdc.address, FUNDED + 1, sender=owner)
    with boa.reverts("withdraw: amount out of range"):
        escrow.requestWithdraw(usdc.address, 0, sender=owner)
    # Someone else's request reaches only their own (empty) escrow.
    with boa.reverts("withdraw: amount out of range"):
        escrow.requestWithdraw(usdc.address, 1, sender=kit.PAYEE)


def test_deposit_credits_the_sender(escrow, usdc, owner):
    usdc.mint(owner, 5_000_000)
    usdc.approve(escrow.address, 5_000_000, sender=owner)
    escrow.deposit(usdc.address, 3_000_000, sender=owner)
    [event] = kit.events(escrow, "Deposited")
    assert (event.owner, event.token, event.amount) == (owner, usdc.address, 3_000_000)
    assert escrow.escrowBalance(owner, usdc.address) == 3_000_000
    assert usdc.balanceOf(owner) == 2_000_000 and usdc.balanceOf(escrow.address) == 3_000_000
    with boa.reverts():
        escrow.deposit(usdc.address, 2_000_001, sender=owner)  # more than approved


def test_the_settlement_period_is_bounded():
    for period in (3599, 365 * 86400 + 1):
        with boa.reverts("settlement period out of range"):
            kit.deploy_escrow(period, at=None)
    assert kit.deploy_escrow(3600, at=None).settlementPeriod() == 3600
