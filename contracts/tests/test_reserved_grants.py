"""Reserved grants (reserveGrant / releaseGrant / reservedAmount): the owner locks a grant's remaining limit for it,
out of the pooled escrow, so every voucher within the limit is funded; settlement of such a grant leaves the pool
alone, and the funds go back to the pool only once the grant can no longer settle.

Every test checks conservation: the escrow's token balance is the pooled balances plus the reservations, exactly.
The settlement tests run through both entries (validateAndRecord and validateAndRecordOne)."""

import boa
import pytest

import escrow_kit as kit

FUNDED = 100_000_000  # what the `grant` fixture deposits
LIMIT = 50_000_000  # the `grant` fixture's totalLimit
SECOND_OWNER_KEY = kit.key_for("reserved grants second owner")
BOTH_ENTRIES = pytest.mark.parametrize("entry", ["batch", "one"])


def settle(escrow, claims, entry="batch", sender=kit.PAYEE):
    """The reasons of `claims`; a lone claim goes through validateAndRecordOne when entry == "one"."""
    if entry == "one" and len(claims) == 1:
        return [escrow.validateAndRecordOne(claims[0], sender=sender)]
    return escrow.validateAndRecord(claims, sender=sender)


def voucher(grant_id, cumulative, sequence, **kwargs):
    return kit.claim(kit.voucher_message(grant_id, cumulative, sequence, **kwargs))


def ended(message):
    """The first second at which the grant of `message` can no longer settle."""
    return message["validUntil"] + kit.SETTLEMENT_PERIOD


def assert_conserved(escrow, token, owners, grant_ids):
    """Every token the escrow holds is either in an owner's pool or held by a reserved grant, and no more."""
    pooled = sum(escrow.escrowBalance(owner, token.address) for owner in owners)
    reserved = sum(escrow.reservedAmount(grant_id) for grant_id in grant_ids)
    assert token.balanceOf(escrow.address) == pooled + reserved


def grant_of(escrow, token, owner, key=kit.OWNER_KEY, **overrides):
    """Registers a grant of `owner` (signed with `key`) for the fixture's session key; returns (id, message)."""
    message = kit.grant_message(owner, kit.address_of(kit.SESSION_KEY), token.address, **overrides)
    return kit.register(escrow, message, key), message


def reserved_beside_pooled(escrow, usdc, grant, owner):
    """Reserves the `grant` fixture's grant and registers a pooled grant of the same owner: (reserved, pooled)."""
    grant_id, _ = grant
    pooled_id, _ = grant_of(escrow, usdc, owner, salt=b"\x07" * 32)
    escrow.reserveGrant(grant_id, sender=owner)
    return grant_id, pooled_id


# ---------------------------------------------------------------------------------------------------------------
# reserveGrant


def test_the_owner_reserves_the_grants_whole_limit(escrow, usdc, grant, owner):
    grant_id, _ = grant
    assert escrow.reservedAmount(grant_id) == 0
    escrow.reserveGrant(grant_id, sender=owner)
    [event] = kit.events(escrow, "GrantReserved")
    assert (event.grantId, event.owner, event.asset, event.amount) == (grant_id, owner, usdc.address, LIMIT)
    assert escrow.reservedAmount(grant_id) == LIMIT
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - LIMIT
    # Nothing left the contract, and the grant itself is as it was (getGrant has no reserved field).
    assert usdc.balanceOf(escrow.address) == FUNDED
    state = escrow.getGrant(grant_id)
    assert (state.owner, state.totalLimit, state.spent, state.frozen) == (owner, LIMIT, 0, False)
    assert_conserved(escrow, usdc, [owner], [grant_id])


@pytest.mark.parametrize("who", ["payee", "session key", "guardian"])
def test_only_the_owner_may_reserve(escrow, usdc, grant, owner, session_key, who):
    grant_id, _ = grant
    sender = {"payee": kit.PAYEE, "session key": session_key,
              "guardian": kit.address_of(kit.key_for("reserved grants guardian"))}[who]
    escrow.setGuardian(kit.address_of(kit.key_for("reserved grants guardian")), True, sender=owner)
    with boa.reverts("reserve: not the owner"):
        escrow.reserveGrant(grant_id, sender=sender)
    assert escrow.reservedAmount(grant_id) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED


def test_an_unknown_grant_cannot_be_reserved(escrow, owner):
    with boa.reverts("grant: unknown"):
        escrow.reserveGrant(b"\x42" * 32, sender=owner)
    assert escrow.reservedAmount(b"\x42" * 32) == 0


def test_a_grant_is_reserved_once(escrow, usdc, grant, owner):
    grant_id, _ = grant
    escrow.reserveGrant(grant_id, sender=owner)
    with boa.reverts("reserve: already reserved"):
        escrow.reserveGrant(grant_id, sender=owner)
    assert escrow.reservedAmount(grant_id) == LIMIT
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - LIMIT
    assert_conserved(escrow, usdc, [owner], [grant_id])


def test_a_reservation_needs_the_whole_remaining_limit_in_the_pool(escrow, usdc, owner):
    kit.fund(usdc, escrow, owner, LIMIT - 1)
    grant_id, _ = grant_of(escrow, usdc, owner)
    with boa.reverts("reserve: escrow below the grant's remaining limit"):
        escrow.reserveGrant(grant_id, sender=owner)
    # Nothing changed: still a pooled grant, drawing on the pool as before.
    assert escrow.reservedAmount(grant_id) == 0
    assert escrow.escrowBalance(owner, usdc.address) == LIMIT - 1
    assert settle(escrow, [voucher(grant_id, 10_000, 1)]) == [kit.SETTLED]
    assert escrow.escrowBalance(owner, usdc.address) == LIMIT - 1 - 10_000
    assert_conserved(escrow, usdc, [owner], [grant_id])


def test_a_partly_spent_grant_reserves_only_what_is_left_of_its_limit(escrow, usdc, grant, owner):
    grant_id, _ = grant
    assert settle(escrow, [voucher(grant_id, 20_000_000, 1)]) == [kit.SETTLED]
    escrow.reserveGrant(grant_id, sender=owner)
    assert kit.events(escrow, "GrantReserved")[0].amount == LIMIT - 20_000_000
    assert escrow.reservedAmount(grant_id) == LIMIT - 20_000_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - LIMIT
    assert_conserved(escrow, usdc, [owner], [grant_id])


def test_a_grant_that_ends_beyond_44_bits_of_time_cannot_be_reserved(escrow, usdc, owner):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id, _ = grant_of(escrow, usdc, owner, validUntil=2**64 - 1)
    # It never expires, so it could never be released: the funds would be locked for good.
    with boa.reverts("reserve: validUntil beyond 2**44 s, the funds could never be released"):
        escrow.reserveGrant(grant_id, sender=owner)
    assert escrow.reservedAmount(grant_id) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED


def test_a_grant_that_has_ended_cannot_be_reserved(escrow, usdc, grant, owner):
    grant_id, message = grant
    boa.env.timestamp = ended(message)
    with boa.reverts("reserve: the grant has ended"):
        escrow.reserveGrant(grant_id, sender=owner)
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED
    # One second earlier it could still settle, so it could still be reserved.
    boa.env.timestamp = ended(message) - 1
    escrow.reserveGrant(grant_id, sender=owner)
    assert escrow.reservedAmount(grant_id) == LIMIT


def test_a_reservation_takes_priority_over_a_pending_withdrawal(escrow, usdc, grant, owner):
    grant_id, _ = grant
    escrow.requestWithdraw(usdc.address, FUNDED, sender=owner)
    escrow.reserveGrant(grant_id, sender=owner)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD
    # executeWithdraw pays min(requested, pool): the reservation is not in the pool.
    assert escrow.executeWithdraw(usdc.address, sender=owner) == FUNDED - LIMIT
    assert usdc.balanceOf(owner) == FUNDED - LIMIT
    assert escrow.escrowBalance(owner, usdc.address) == 0
    assert escrow.reservedAmount(grant_id) == LIMIT
    assert_conserved(escrow, usdc, [owner], [grant_id])


# ---------------------------------------------------------------------------------------------------------------
# Settlement of a reserved grant


@BOTH_ENTRIES
def test_a_reserved_grant_pays_its_payee_without_touching_the_pool(escrow, usdc, grant, owner, entry):
    grant_id, pooled_id = reserved_beside_pooled(escrow, usdc, grant, owner)
    pool = FUNDED - LIMIT

    assert settle(escrow, [voucher(grant_id, 40_000, 4)], entry) == [kit.SETTLED]
    kit.assert_paid_once(escrow, grant_id, 4, 40_000)
    assert usdc.balanceOf(kit.PAYEE) == 40_000
    assert escrow.escrowBalance(owner, usdc.address) == pool
    assert escrow.reservedAmount(grant_id) == LIMIT - 40_000
    assert escrow.settledAmount(grant_id, kit.PAYEE) == 40_000 and escrow.getGrant(grant_id).spent == 40_000
    assert_conserved(escrow, usdc, [owner], [grant_id, pooled_id])

    # The same owner's pooled grant still draws on the pool, and only on it.
    assert settle(escrow, [voucher(pooled_id, 30_000, 1)], entry) == [kit.SETTLED]
    assert escrow.escrowBalance(owner, usdc.address) == pool - 30_000
    assert escrow.reservedAmount(grant_id) == LIMIT - 40_000
    assert usdc.balanceOf(kit.PAYEE) == 70_000
    assert_conserved(escrow, usdc, [owner], [grant_id, pooled_id])


@BOTH_ENTRIES
def test_vouchers_up_to_the_limit_exhaust_the_reservation_exactly(escrow, usdc, owner, entry):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id, _ = grant_of(escrow, usdc, owner, totalLimit=100_000)
    escrow.reserveGrant(grant_id, sender=owner)
    for sequence, cumulative in enumerate((40_000, 70_000, 100_000), start=1):
        assert settle(escrow, [voucher(grant_id, cumulative, sequence)], entry) == [kit.SETTLED]
        assert escrow.reservedAmount(grant_id) == 100_000 - cumulative
        assert_conserved(escrow, usdc, [owner], [grant_id])
    assert usdc.balanceOf(kit.PAYEE) == 100_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 100_000

    # One unit over the limit: refused as for any grant, and nothing moves.
    assert settle(escrow, [voucher(grant_id, 100_001, 4)], entry) == [kit.OVER_LIMIT]
    [event] = kit.events(escrow, "VoucherRejected")
    assert (event.grantId, event.payee, event.sequence, event.reason) == (grant_id, kit.PAYEE, 4, kit.OVER_LIMIT)
    assert kit.events(escrow, "VoucherSettled") == []
    assert usdc.balanceOf(kit.PAYEE) == 100_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 100_000
    assert escrow.reservedAmount(grant_id) == 0
    assert_conserved(escrow, usdc, [owner], [grant_id])


@BOTH_ENTRIES
def test_a_reserved_grant_settles_after_the_owner_withdrew_the_whole_pool(escrow, usdc, grant, owner, entry):
    grant_id, pooled_id = reserved_beside_pooled(escrow, usdc, grant, owner)
    escrow.requestWithdraw(usdc.address, FUNDED - LIMIT, sender=owner)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD
    assert escrow.executeWithdraw(usdc.address, sender=owner) == FUNDED - LIMIT
    assert escrow.escrowBalance(owner, usdc.address) == 0

    # The guarantee: the reserved grant's vouchers are funded up to the limit; the pooled grant's now bounce.
    assert settle(escrow, [voucher(pooled_id, 10_000, 1)], entry) == [kit.INSUFFICIENT_ESCROW]
    assert settle(escrow, [voucher(grant_id, LIMIT, 1)], entry) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == LIMIT
    assert usdc.balanceOf(escrow.address) == 0
    assert escrow.reservedAmount(grant_id) == 0
    assert_conserved(escrow, usdc, [owner], [grant_id, pooled_id])


@BOTH_ENTRIES
def test_a_reservation_is_the_overcommitted_pools_first_claim(escrow, usdc, grant, owner, entry):
    # 100 U in the pool under grants of 50 U and 80 U: the reserved 50 U grant is paid in full whatever the other
    # grant's payee settles first, and the other grant bounces on what is left.
    grant_id, _ = grant
    big_id, _ = grant_of(escrow, usdc, owner, totalLimit=80_000_000, salt=b"\x08" * 32)
    escrow.reserveGrant(grant_id, sender=owner)
    assert settle(escrow, [voucher(big_id, 60_000_000, 1)], entry) == [kit.INSUFFICIENT_ESCROW]
    assert settle(escrow, [voucher(big_id, FUNDED - LIMIT, 2)], entry) == [kit.SETTLED]
    assert settle(escrow, [voucher(grant_id, LIMIT, 1)], entry) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == FUNDED
    assert_conserved(escrow, usdc, [owner], [grant_id, big_id])


@BOTH_ENTRIES
def test_a_reserved_grant_with_several_payees_bounds_them_together(escrow, usdc, owner, entry):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id, _ = grant_of(escrow, usdc, owner, payees=[kit.PAYEE, kit.PAYEE_2], totalLimit=100_000)
    escrow.reserveGrant(grant_id, sender=owner)
    assert settle(escrow, [voucher(grant_id, 60_000, 1)], entry) == [kit.SETTLED]
    second = [voucher(grant_id, 50_000, 1, payee=kit.PAYEE_2)]
    assert settle(escrow, second, entry, sender=kit.PAYEE_2) == [kit.OVER_LIMIT]
    second = [voucher(grant_id, 40_000, 2, payee=kit.PAYEE_2)]
    assert settle(escrow, second, entry, sender=kit.PAYEE_2) == [kit.SETTLED]
    assert (escrow.settledAmount(grant_id, kit.PAYEE), escrow.settledAmount(grant_id, kit.PAYEE_2)) == (
        60_000, 40_000)
    assert escrow.reservedAmount(grant_id) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 100_000
    assert_conserved(escrow, usdc, [owner], [grant_id])


@BOTH_ENTRIES
def test_a_reserved_grant_keeps_every_other_check(escrow, usdc, grant, owner, entry):
    grant_id, _ = grant
    escrow.reserveGrant(grant_id, sender=owner)
    stranger = kit.address_of(kit.key_for("reserved grants stranger"))
    cases = [
        ([voucher(grant_id, 10_000, 1)], stranger, kit.NOT_SETTLER),
        ([voucher(grant_id, 10_000, 1, payee=kit.PAYEE_2)], kit.PAYEE_2, kit.PAYEE_NOT_ALLOWED),
        ([kit.claim(kit.voucher_message(grant_id, 10_000, 1), key=kit.OTHER_KEY)], kit.PAYEE, kit.SIGNATURE_INVALID),
    ]
    for claims, sender, reason in cases:
        assert settle(escrow, claims, entry, sender=sender) == [reason]
    assert settle(escrow, [voucher(grant_id, 10_000, 1)], entry) == [kit.SETTLED]
    assert settle(escrow, [voucher(grant_id, 10_000, 1)], entry) == [kit.NOTHING_TO_SETTLE]
    assert usdc.balanceOf(kit.PAYEE) == 10_000
    assert escrow.reservedAmount(grant_id) == LIMIT - 10_000
    assert_conserved(escrow, usdc, [owner], [grant_id])


@BOTH_ENTRIES
def test_a_frozen_reserved_grant_refuses_and_is_released_after_its_end(escrow, usdc, grant, owner, entry):
    grant_id, message = grant
    escrow.reserveGrant(grant_id, sender=owner)
    assert settle(escrow, [voucher(grant_id, 10_000, 1)], entry) == [kit.SETTLED]
    escrow.freezeSessionKey(grant_id, sender=owner)
    assert settle(escrow, [voucher(grant_id, 20_000, 2)], entry) == [kit.FROZEN]
    # Freezing keeps the reservation (the flags are packed together; freeze changes only its own bit).
    assert escrow.reservedAmount(grant_id) == LIMIT - 10_000
    assert escrow.getGrant(grant_id).frozen

    boa.env.timestamp = ended(message)
    escrow.releaseGrant(grant_id, sender=kit.PAYEE)
    assert kit.events(escrow, "GrantReleased")[0].amount == LIMIT - 10_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 10_000
    assert escrow.getGrant(grant_id).frozen
    assert_conserved(escrow, usdc, [owner], [grant_id])


def test_a_batch_mixes_reserved_and_pooled_grants(escrow, usdc, owner):
    second_owner = kit.address_of(SECOND_OWNER_KEY)
    kit.fund(usdc, escrow, owner, FUNDED)
    kit.fund(usdc, escrow, second_owner, FUNDED)
    reserved_a, _ = grant_of(escrow, usdc, owner, salt=b"\x01" * 32)
    pooled_a, _ = grant_of(escrow, usdc, owner, salt=b"\x02" * 32)
    reserved_b, _ = grant_of(escrow, usdc, second_owner, key=SECOND_OWNER_KEY, salt=b"\x03" * 32)
    pooled_b, _ = grant_of(escrow, usdc, second_owner, key=SECOND_OWNER_KEY, salt=b"\x04" * 32)
    escrow.reserveGrant(reserved_a, sender=owner)
    escrow.reserveGrant(reserved_b, sender=second_owner)
    grants = [reserved_a, pooled_a, reserved_b, pooled_b]

    claims = [
        voucher(reserved_a, 10_000, 1),
        voucher(pooled_a, 20_000, 1),
        voucher(reserved_b, LIMIT + 1, 1),  # over the limit: skipped, the rest goes on
        voucher(reserved_b, 30_000, 2),
        voucher(pooled_b, 40_000, 1),
        voucher(reserved_a, 10_000, 1),  # replay
    ]
    assert settle(escrow, claims) == [kit.SETTLED, kit.SETTLED, kit.OVER_LIMIT, kit.SETTLED, kit.SETTLED,
                                      kit.NOTHING_TO_SETTLE]
    assert [e.paid for e in kit.events(escrow, "VoucherSettled")] == [10_000, 20_000, 30_000, 40_000]
    # One payee, one token throughout: one transfer, whether the claims drew on a pool or on a reservation.
    [transfer] = kit.events(escrow, "Transfer")
    assert (transfer.receiver, transfer.value) == (kit.PAYEE, 100_000)
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - LIMIT - 20_000
    assert escrow.escrowBalance(second_owner, usdc.address) == FUNDED - LIMIT - 40_000
    assert (escrow.reservedAmount(reserved_a), escrow.reservedAmount(reserved_b)) == (LIMIT - 10_000, LIMIT - 30_000)
    assert_conserved(escrow, usdc, [owner, second_owner], grants)


# ---------------------------------------------------------------------------------------------------------------
# releaseGrant


def test_a_reserved_grant_cannot_be_released_while_it_can_settle(escrow, usdc, grant, owner):
    grant_id, message = grant
    escrow.reserveGrant(grant_id, sender=owner)
    for moment in (boa.env.timestamp, message["validUntil"], ended(message) - 1):
        boa.env.timestamp = moment
        with boa.reverts("release: the grant can still settle"):
            escrow.releaseGrant(grant_id, sender=owner)
    assert escrow.reservedAmount(grant_id) == LIMIT
    # Still settling at the last second, from the reservation.
    assert settle(escrow, [voucher(grant_id, 10_000, 1)]) == [kit.SETTLED]
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - LIMIT


@BOTH_ENTRIES
def test_release_after_the_end_returns_the_rest_and_the_grant_stays_expired(escrow, usdc, grant, owner, entry):
    grant_id, message = grant
    escrow.reserveGrant(grant_id, sender=owner)
    assert settle(escrow, [voucher(grant_id, 12_345, 1)], entry) == [kit.SETTLED]

    boa.env.timestamp = ended(message)
    # Anyone may release: the funds only go back to the owner's pool.
    escrow.releaseGrant(grant_id, sender=kit.PAYEE_2)
    [event] = kit.events(escrow, "GrantReleased")
    assert (event.grantId, event.owner, event.asset, event.amount) == (grant_id, owner, usdc.address, LIMIT - 12_345)
    assert escrow.reservedAmount(grant_id) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 12_345
    assert_conserved(escrow, usdc, [owner], [grant_id])

    # Released, the grant still cannot settle, neither from the reservation nor from the pool.
    assert settle(escrow, [voucher(grant_id, 20_000, 2)], entry) == [kit.EXPIRED]
    assert usdc.balanceOf(kit.PAYEE) == 12_345
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 12_345

    with boa.reverts("release: grant not reserved"):
        escrow.releaseGrant(grant_id, sender=owner)
    # Nor can it be reserved again.
    with boa.reverts("reserve: the grant has ended"):
        escrow.reserveGrant(grant_id, sender=owner)

    # The owner gets everything back through the usual withdrawal.
    escrow.requestWithdraw(usdc.address, FUNDED - 12_345, sender=owner)
    boa.env.timestamp += kit.SETTLEMENT_PERIOD
    assert escrow.executeWithdraw(usdc.address, sender=owner) == FUNDED - 12_345
    assert usdc.balanceOf(escrow.address) == 0


def test_only_a_reserved_grant_can_be_released(escrow, usdc, grant, owner):
    grant_id, message = grant
    boa.env.timestamp = ended(message)
    for unreserved in (grant_id, b"\x42" * 32):
        with boa.reverts("release: grant not reserved"):
            escrow.releaseGrant(unreserved, sender=owner)
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED


def test_a_fully_spent_reservation_releases_nothing(escrow, usdc, owner):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id, message = grant_of(escrow, usdc, owner, totalLimit=100_000)
    escrow.reserveGrant(grant_id, sender=owner)
    assert settle(escrow, [voucher(grant_id, 100_000, 1)]) == [kit.SETTLED]
    boa.env.timestamp = ended(message)
    escrow.releaseGrant(grant_id, sender=owner)
    assert kit.events(escrow, "GrantReleased")[0].amount == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 100_000
    assert_conserved(escrow, usdc, [owner], [grant_id])


# ---------------------------------------------------------------------------------------------------------------
# Re-entrancy (contracts/test/ReentrantToken.vy, the `hostile` fixture of conftest.py, as in test_reentrancy.py)


@BOTH_ENTRIES
def test_a_token_reentering_release_during_a_reserved_settlement_is_refused(escrow, hostile, owner, entry):
    # Two reserved grants in the hostile token: one ends early, the other settles after that end. While the escrow
    # pays the second, the token tries to release the first (anyone may): refused by the one lock.
    short_id, short = grant_of(escrow, hostile, owner, totalLimit=1_000_000, validUntil=boa.env.timestamp + 3600,
                               salt=b"\x01" * 32)
    long_id, _ = grant_of(escrow, hostile, owner, totalLimit=2_000_000, salt=b"\x02" * 32)
    escrow.reserveGrant(short_id, sender=owner)
    escrow.reserveGrant(long_id, sender=owner)
    boa.env.timestamp = ended(short)
    hostile.arm(escrow.address, escrow.releaseGrant.prepare_calldata(short_id))

    assert settle(escrow, [voucher(long_id, 400_000, 1)], entry) == [kit.SETTLED]
    assert hostile.reentryAttempts() == 1 and not hostile.reentrySucceeded()
    assert hostile.balanceOf(kit.PAYEE) == 400_000
    assert escrow.reservedAmount(short_id) == 1_000_000
    assert escrow.reservedAmount(long_id) == 2_000_000 - 400_000
    assert escrow.escrowBalance(owner, hostile.address) == 10_000_000 - 3_000_000
    assert_conserved(escrow, hostile, [owner], [short_id, long_id])
    # Released in a call of its own, once.
    escrow.releaseGrant(short_id, sender=kit.PAYEE)
    assert escrow.escrowBalance(owner, hostile.address) == 10_000_000 - 2_000_000
    assert_conserved(escrow, hostile, [owner], [short_id, long_id])


def test_a_token_reentering_settlement_of_a_reserved_grant_is_refused(escrow, hostile, owner):
    first, _ = grant_of(escrow, hostile, owner, totalLimit=1_000_000, salt=b"\x01" * 32)
    second, _ = grant_of(escrow, hostile, owner, totalLimit=1_000_000, salt=b"\x02" * 32)
    escrow.reserveGrant(first, sender=owner)
    escrow.reserveGrant(second, sender=owner)
    # Worst case, as in test_reentrancy.py: the payee made the token its settler, so only the lock stands.
    escrow.setSettler(hostile.address, True, sender=kit.PAYEE)
    inner = voucher(second, 700_000, 1)
    hostile.arm(escrow.address, escrow.validateAndRecordOne.prepare_calldata(inner))

    assert escrow.validateAndRecordOne(voucher(first, 400_000, 1), sender=kit.PAYEE) == kit.SETTLED
    assert hostile.reentryAttempts() == 1 and not hostile.reentrySucceeded()
    assert hostile.balanceOf(kit.PAYEE) == 400_000
    assert (escrow.reservedAmount(first), escrow.reservedAmount(second)) == (600_000, 1_000_000)
    assert_conserved(escrow, hostile, [owner], [first, second])
    assert escrow.validateAndRecordOne(inner, sender=kit.PAYEE) == kit.SETTLED
    assert hostile.balanceOf(kit.PAYEE) == 1_100_000
    assert_conserved(escrow, hostile, [owner], [first, second])
