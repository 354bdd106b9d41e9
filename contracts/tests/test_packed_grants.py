"""The packed grant storage (SessionKeyValidator.vy, "A grant, packed by hand"): a one-payee grant keeps its payee
split over two slots and its channel's paid amount in `spent`; grants with no or several payees keep a slot per
channel; times beyond 44 bits are kept exactly for getGrant and still compared correctly."""

import boa

import escrow_kit as kit

FUNDED = 100_000_000
# Every bit of the high 96 and the low 64 set, and its neighbours that differ in one bit of either half.
EDGE_PAYEE = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"
HIGH_BIT_OFF = "0x7FFFfFfFFFfffFFfFFfFFFFFffFFFffffFfFFFfF"
LOW_BIT_OFF = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfE"
MAX_UINT64 = 2**64 - 1


def settle(escrow, claims, sender=kit.PAYEE):
    return escrow.validateAndRecord(claims, sender=sender)


def test_a_one_payee_grant_pays_only_that_payee_bit_for_bit(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address, payees=[EDGE_PAYEE]))
    assert escrow.isPayeeAllowed(grant_id, EDGE_PAYEE)
    for near_miss in (HIGH_BIT_OFF, LOW_BIT_OFF):
        assert not escrow.isPayeeAllowed(grant_id, near_miss)
        claim = kit.claim(kit.voucher_message(grant_id, 10_000, 1, payee=near_miss))
        assert settle(escrow, [claim], sender=near_miss) == [kit.PAYEE_NOT_ALLOWED]
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1, payee=EDGE_PAYEE))],
                  sender=EDGE_PAYEE) == [kit.SETTLED]
    assert usdc.balanceOf(EDGE_PAYEE) == 10_000
    assert usdc.balanceOf(HIGH_BIT_OFF) == 0 and usdc.balanceOf(LOW_BIT_OFF) == 0


def test_a_one_payee_grant_counts_its_channel_in_spent(escrow, usdc, grant, owner):
    grant_id, _ = grant
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]) == [kit.SETTLED]
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 25_000, 2))]) == [kit.SETTLED]
    assert escrow.settledAmount(grant_id, kit.PAYEE) == 25_000
    assert escrow.settledAmount(grant_id, kit.PAYEE_2) == 0
    assert escrow.getGrant(grant_id).spent == 25_000
    # The replay of the first voucher pays nothing: the channel's paid amount is the grant's spent.
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]) == [kit.NOTHING_TO_SETTLE]
    assert usdc.balanceOf(kit.PAYEE) == 25_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 25_000


def test_a_grant_with_two_payees_keeps_a_channel_each(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address,
                                                      payees=[kit.PAYEE, kit.PAYEE_2]))
    assert escrow.isPayeeAllowed(grant_id, kit.PAYEE) and escrow.isPayeeAllowed(grant_id, kit.PAYEE_2)
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]) == [kit.SETTLED]
    second = kit.claim(kit.voucher_message(grant_id, 4_000, 1, payee=kit.PAYEE_2))
    assert settle(escrow, [second], sender=kit.PAYEE_2) == [kit.SETTLED]
    # PAYEE_2's channel started at zero, not at what PAYEE was paid.
    assert usdc.balanceOf(kit.PAYEE_2) == 4_000
    assert (escrow.settledAmount(grant_id, kit.PAYEE), escrow.settledAmount(grant_id, kit.PAYEE_2)) == (10_000, 4_000)
    assert escrow.getGrant(grant_id).spent == 14_000
    assert settle(escrow, [second], sender=kit.PAYEE_2) == [kit.NOTHING_TO_SETTLE]


def test_times_beyond_44_bits_are_kept_exactly_and_never_expire(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    forever = kit.grant_message(owner, session_key, usdc.address, validUntil=MAX_UINT64)
    grant_id = kit.register(escrow, forever)
    state = escrow.getGrant(grant_id)
    assert (state.validAfter, state.validUntil) == (forever["validAfter"], MAX_UINT64)
    boa.env.timestamp += 10 * 365 * 86400
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]) == [kit.SETTLED]
    escrow.freezeSessionKey(grant_id, sender=owner)
    assert escrow.getGrant(grant_id) == state._replace(frozen=True, spent=10_000)


def test_a_grant_valid_only_after_44_bits_of_time_is_not_yet_valid(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    late = kit.grant_message(owner, session_key, usdc.address, validAfter=2**44 + 5, validUntil=2**44 + 10)
    grant_id = kit.register(escrow, late)
    state = escrow.getGrant(grant_id)
    assert (state.validAfter, state.validUntil) == (2**44 + 5, 2**44 + 10)
    claim = kit.claim(kit.voucher_message(grant_id, 10_000, 1))
    assert settle(escrow, [claim]) == [kit.NOT_YET_VALID]
    assert usdc.balanceOf(kit.PAYEE) == 0
