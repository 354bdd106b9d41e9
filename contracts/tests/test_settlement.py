"""validateAndRecord: every check of a claim, exact balances, and the skip-with-event batch policy.

Every test runs twice: once through the batch entry, and once with each lone claim sent through
validateAndRecordOne instead (the single-claim entry must check, record, log and pay exactly as the batch does)."""

import boa
import pytest

import escrow_kit as kit

FUNDED = 100_000_000  # what the `grant` fixture deposits
ENTRY = "batch"


@pytest.fixture(autouse=True, params=["batch", "one"])
def entry(request):
    """Which entry `settle` sends a lone claim through: validateAndRecord or validateAndRecordOne."""
    global ENTRY
    ENTRY = request.param
    yield request.param
    ENTRY = "batch"


def settle(escrow, claims, sender=kit.PAYEE):
    if ENTRY == "one" and len(claims) == 1:
        return [escrow.validateAndRecordOne(claims[0], sender=sender)]
    return escrow.validateAndRecord(claims, sender=sender)


def assert_rejected(escrow, usdc, owner, grant_id, claims, reason, sender=kit.PAYEE):
    """The batch goes through, skips the claim with `reason`, and no money moves."""
    assert settle(escrow, claims, sender) == [reason]
    [event] = kit.events(escrow, "VoucherRejected")
    assert (event.grantId, event.payee, event.reason) == (grant_id, claims[0][0][1], reason)
    assert kit.events(escrow, "VoucherSettled") == []
    assert usdc.balanceOf(kit.PAYEE) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED


def test_a_voucher_pays_its_payee_from_the_owners_escrow(escrow, usdc, grant, owner):
    grant_id, _ = grant
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 40_000, 4))]) == [kit.SETTLED]
    kit.assert_paid_once(escrow, grant_id, 4, 40_000)
    assert usdc.balanceOf(kit.PAYEE) == 40_000
    assert usdc.balanceOf(escrow.address) == FUNDED - 40_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 40_000
    assert escrow.settledAmount(grant_id, kit.PAYEE) == 40_000
    assert escrow.getGrant(grant_id).spent == 40_000


def test_a_later_voucher_pays_only_the_difference(escrow, usdc, grant, owner):
    grant_id, _ = grant
    settle(escrow, [kit.claim(kit.voucher_message(grant_id, 40_000, 4))])
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 100_000, 9))]) == [kit.SETTLED]
    assert kit.events(escrow, "VoucherSettled")[0].paid == 60_000
    assert usdc.balanceOf(kit.PAYEE) == 100_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 100_000
    assert escrow.getGrant(grant_id).spent == 100_000


def test_a_credit_window_pays_what_was_charged_not_the_whole_credit(escrow, usdc, grant):
    grant_id, _ = grant
    window = kit.voucher_message(grant_id, 1_040_000, 5, requestBinding=b"\x00" * 32)
    assert settle(escrow, [kit.claim(window, charged=70_000)]) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 70_000
    # More calls were charged inside the same window: the same voucher settles again, up to its ceiling.
    assert settle(escrow, [kit.claim(window, charged=2_000_000)]) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 1_040_000
    assert escrow.settledAmount(grant_id, kit.PAYEE) == 1_040_000


def test_replay_pays_nothing(escrow, usdc, grant, owner):
    grant_id, _ = grant
    claim = kit.claim(kit.voucher_message(grant_id, 40_000, 4))
    settle(escrow, [claim])
    assert settle(escrow, [claim]) == [kit.NOTHING_TO_SETTLE]
    assert kit.events(escrow, "VoucherRejected")[0].reason == kit.NOTHING_TO_SETTLE
    assert usdc.balanceOf(kit.PAYEE) == 40_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 40_000


def test_a_lower_cumulative_pays_nothing(escrow, usdc, grant, owner):
    grant_id, _ = grant
    settle(escrow, [kit.claim(kit.voucher_message(grant_id, 40_000, 4))])
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 30_000, 5))]) == [kit.NOTHING_TO_SETTLE]
    assert usdc.balanceOf(kit.PAYEE) == 40_000
    assert escrow.settledAmount(grant_id, kit.PAYEE) == 40_000


def test_over_the_grant_limit_is_skipped(escrow, usdc, grant, owner):
    grant_id, _ = grant
    assert_rejected(escrow, usdc, owner, grant_id, [kit.claim(kit.voucher_message(grant_id, 50_000_001, 1))],
                    kit.OVER_LIMIT)
    # Exactly the limit is fine.
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 50_000_000, 2))]) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 50_000_000


def test_the_limit_counts_across_payees(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address,
                                                      payees=[kit.PAYEE, kit.PAYEE_2]))
    settle(escrow, [kit.claim(kit.voucher_message(grant_id, 30_000_000, 1))])
    second = kit.claim(kit.voucher_message(grant_id, 30_000_000, 1, payee=kit.PAYEE_2))
    assert settle(escrow, [second], sender=kit.PAYEE_2) == [kit.OVER_LIMIT]
    assert usdc.balanceOf(kit.PAYEE_2) == 0


def test_not_enough_escrow_is_skipped(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, 30_000)
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address))
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 40_000, 1))]) == [kit.INSUFFICIENT_ESCROW]
    assert usdc.balanceOf(kit.PAYEE) == 0
    assert escrow.escrowBalance(owner, usdc.address) == 30_000


def test_an_expired_grant_settles_during_the_settlement_period_and_not_after(escrow, usdc, grant, owner):
    grant_id, message = grant
    boa.env.timestamp = message["validUntil"] + kit.SETTLEMENT_PERIOD - 1
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]) == [kit.SETTLED]
    boa.env.timestamp = message["validUntil"] + kit.SETTLEMENT_PERIOD
    claims = [kit.claim(kit.voucher_message(grant_id, 20_000, 2))]
    assert settle(escrow, claims) == [kit.EXPIRED]
    assert usdc.balanceOf(kit.PAYEE) == 10_000


def test_a_grant_not_yet_valid_is_skipped(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    start = boa.env.timestamp + 3600
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address, validAfter=start))
    assert_rejected(escrow, usdc, owner, grant_id, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))],
                    kit.NOT_YET_VALID)
    boa.env.timestamp = start
    assert settle(escrow, [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]) == [kit.SETTLED]


def test_a_payee_outside_the_grant_is_skipped(escrow, usdc, grant, owner):
    grant_id, _ = grant
    claims = [kit.claim(kit.voucher_message(grant_id, 10_000, 1, payee=kit.PAYEE_2))]
    assert settle(escrow, claims, sender=kit.PAYEE_2) == [kit.PAYEE_NOT_ALLOWED]
    assert usdc.balanceOf(kit.PAYEE_2) == 0
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED


def test_a_grant_without_payees_pays_any_payee(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address, payees=[]))
    claims = [kit.claim(kit.voucher_message(grant_id, 10_000, 1, payee=kit.PAYEE_2))]
    assert settle(escrow, claims, sender=kit.PAYEE_2) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE_2) == 10_000


@pytest.mark.parametrize("name,make_claim,reason", [
    ("signed by another key", lambda m: kit.claim(m, key=kit.OTHER_KEY), kit.SIGNATURE_INVALID),
    ("signed by the owner", lambda m: kit.claim(m, key=kit.OWNER_KEY), kit.SIGNATURE_INVALID),
    ("signed for another chain", lambda m: kit.claim(m, domain_=kit.domain(chain_id=8453)), kit.SIGNATURE_INVALID),
    ("signed for another escrow", lambda m: kit.claim(m, domain_=kit.domain(verifying_contract=kit.PAYEE_2)),
     kit.SIGNATURE_INVALID),
    ("amount raised after signing", lambda m: kit.claim(
        dict(m, cumulativeAmount=99_000), signature=kit.voucher_signature(m)), kit.SIGNATURE_INVALID),
    ("zero signature", lambda m: kit.claim(m, signature=bytes(64) + bytes([27])), kit.SIGNATURE_INVALID),
    ("high s", lambda m: kit.claim(m, signature=kit.high_s(kit.voucher_signature(m))), kit.SIGNATURE_MALFORMED),
    ("v = 29", lambda m: kit.claim(m, signature=kit.voucher_signature(m)[:64] + bytes([29])),
     kit.SIGNATURE_MALFORMED),
])
def test_a_bad_voucher_signature_is_skipped(escrow, usdc, grant, owner, name, make_claim, reason):
    grant_id, _ = grant
    assert_rejected(escrow, usdc, owner, grant_id, [make_claim(kit.voucher_message(grant_id, 10_000, 1))], reason)


def test_v_as_0_or_1_is_accepted(escrow, usdc, grant):
    grant_id, _ = grant
    message = kit.voucher_message(grant_id, 10_000, 1)
    signature = kit.voucher_signature(message)
    claim = kit.claim(message, signature=signature[:64] + bytes([signature[64] - 27]))
    assert settle(escrow, [claim]) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 10_000


def test_an_unknown_grant_is_skipped(escrow, usdc, grant, owner):
    claims = [kit.claim(kit.voucher_message(b"\x42" * 32, 10_000, 1))]
    assert_rejected(escrow, usdc, owner, b"\x42" * 32, claims, kit.GRANT_UNKNOWN)


def test_only_the_payee_or_its_settler_may_claim(escrow, usdc, grant, owner):
    grant_id, _ = grant
    settler = kit.address_of(kit.key_for("gateway settler"))
    claims = [kit.claim(kit.voucher_message(grant_id, 10_000, 1))]
    assert_rejected(escrow, usdc, owner, grant_id, claims, kit.NOT_SETTLER, sender=settler)

    escrow.setSettler(settler, True, sender=kit.PAYEE)
    [event] = kit.events(escrow, "SettlerSet")
    assert (event.payee, event.settler, event.enabled) == (kit.PAYEE, settler, True)
    assert settle(escrow, claims, sender=settler) == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 10_000 and usdc.balanceOf(settler) == 0


def test_a_mixed_batch_settles_the_good_claims_and_reports_the_bad(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    grants = [kit.register(escrow, kit.grant_message(owner, session_key, usdc.address, salt=bytes([i]) * 32))
              for i in range(3)]
    settle(escrow, [kit.claim(kit.voucher_message(grants[2], 5_000, 1))])
    claims = [
        kit.claim(kit.voucher_message(grants[0], 10_000, 1)),
        kit.claim(kit.voucher_message(grants[1], 20_000, 1), key=kit.OTHER_KEY),    # bad signature
        kit.claim(kit.voucher_message(grants[1], 30_000, 2)),
        kit.claim(kit.voucher_message(grants[2], 5_000, 1)),                        # replay
        kit.claim(kit.voucher_message(grants[2], 60_000_000, 2)),                   # over the limit
        kit.claim(kit.voucher_message(grants[2], 45_000, 3)),
    ]
    assert settle(escrow, claims) == [kit.SETTLED, kit.SIGNATURE_INVALID, kit.SETTLED, kit.NOTHING_TO_SETTLE,
                                      kit.OVER_LIMIT, kit.SETTLED]
    assert [e.paid for e in kit.events(escrow, "VoucherSettled")] == [10_000, 30_000, 40_000]
    assert [e.reason for e in kit.events(escrow, "VoucherRejected")] == [
        kit.SIGNATURE_INVALID, kit.NOTHING_TO_SETTLE, kit.OVER_LIMIT]
    # One payee throughout: the three payments leave in one transfer.
    [transfer] = kit.events(escrow, "Transfer")
    assert (transfer.receiver, transfer.value) == (kit.PAYEE, 80_000)
    assert usdc.balanceOf(kit.PAYEE) == 85_000
    assert escrow.escrowBalance(owner, usdc.address) == FUNDED - 85_000
    assert [escrow.settledAmount(g, kit.PAYEE) for g in grants] == [10_000, 30_000, 45_000]


def test_a_batch_pays_each_run_of_payees_separately(escrow, usdc, owner, session_key):
    kit.fund(usdc, escrow, owner, FUNDED)
    grant_id = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address, payees=[]))
    other = kit.register(escrow, kit.grant_message(owner, session_key, usdc.address, payees=[], salt=b"\x01" * 32))
    settler = kit.address_of(kit.key_for("gateway settler"))
    escrow.setSettler(settler, True, sender=kit.PAYEE)
    escrow.setSettler(settler, True, sender=kit.PAYEE_2)
    claims = [
        kit.claim(kit.voucher_message(grant_id, 1_000, 1)),
        kit.claim(kit.voucher_message(other, 2_000, 1)),
        kit.claim(kit.voucher_message(grant_id, 3_000, 1, payee=kit.PAYEE_2)),
        kit.claim(kit.voucher_message(other, 4_000, 2, payee=kit.PAYEE)),  # back to PAYEE: a new run
    ]
    assert settle(escrow, claims, sender=settler) == [kit.SETTLED] * 4
    assert [(t.receiver, t.value) for t in kit.events(escrow, "Transfer")] == [
        (kit.PAYEE, 3_000), (kit.PAYEE_2, 3_000), (kit.PAYEE, 2_000)]
    assert usdc.balanceOf(kit.PAYEE) == 5_000 and usdc.balanceOf(kit.PAYEE_2) == 3_000


def test_an_empty_batch_does_nothing(escrow, grant):
    assert settle(escrow, []) == []
    assert escrow.get_logs() == []


def test_the_batch_size_is_bounded(escrow, grant):
    grant_id, _ = grant
    claim = kit.claim(kit.voucher_message(grant_id, 10_000, 1))
    assert settle(escrow, [claim] * 128) == [kit.SETTLED] + [kit.NOTHING_TO_SETTLE] * 127
    with boa.reverts():
        settle(escrow, [claim] * 129)
