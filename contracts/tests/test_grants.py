"""Registering session keys: by the owner directly (createSessionKey) or with the owner's off-chain signature."""

import boa
import pytest

import escrow_kit as kit


def test_owner_creates_a_session_key_with_the_same_id_as_the_signed_grant(escrow, usdc, owner, session_key):
    message = kit.grant_message(owner, session_key, usdc.address, payees=[kit.PAYEE, kit.PAYEE_2])
    grant = kit.as_struct(message, kit.GRANT_FIELDS)
    grant_id = escrow.createSessionKey(grant, sender=owner)
    assert grant_id == kit.digest(kit.typed_data("SessionGrant", kit.domain(), message))

    [event] = kit.events(escrow, "SessionKeyCreated")
    assert (event.grantId, event.owner, event.sessionKey, event.asset) == (grant_id, owner, session_key, usdc.address)
    assert (event.totalLimit, event.validAfter, event.validUntil, event.ownerSigned) == (
        50_000_000, message["validAfter"], message["validUntil"], False)
    state = escrow.getGrant(grant_id)
    assert (state.validAfter, state.validUntil, state.totalLimit, state.spent) == (
        message["validAfter"], message["validUntil"], 50_000_000, 0)
    assert escrow.isPayeeAllowed(grant_id, kit.PAYEE) and escrow.isPayeeAllowed(grant_id, kit.PAYEE_2)
    assert not escrow.isPayeeAllowed(grant_id, owner)


def test_only_the_owner_may_create_without_a_signature(escrow, usdc, owner, session_key):
    grant = kit.as_struct(kit.grant_message(owner, session_key, usdc.address), kit.GRANT_FIELDS)
    with boa.reverts("grant: sender is not the owner"):
        escrow.createSessionKey(grant, sender=session_key)


def test_anyone_registers_an_owner_signed_grant(escrow, usdc, owner, session_key):
    message = kit.grant_message(owner, session_key, usdc.address, payees=[])
    signature = kit.sign(kit.typed_data("SessionGrant", kit.domain(), message), kit.OWNER_KEY)
    grant_id = escrow.registerSessionGrant(kit.as_struct(message, kit.GRANT_FIELDS), signature, sender=kit.PAYEE_2)
    [event] = kit.events(escrow, "SessionKeyCreated")
    assert (event.grantId, event.owner, event.ownerSigned) == (grant_id, owner, True)
    state = escrow.getGrant(grant_id)
    assert state.anyPayee and escrow.isPayeeAllowed(grant_id, kit.PAYEE_2)


def test_a_grant_registers_once(escrow, grant, owner):
    _, message = grant
    with boa.reverts("grant: already registered"):
        escrow.createSessionKey(kit.as_struct(message, kit.GRANT_FIELDS), sender=owner)


@pytest.mark.parametrize("name,signing_domain,key", [
    ("signed by another key", kit.domain(), kit.OTHER_KEY),
    ("signed for another chain", kit.domain(chain_id=8453), kit.OWNER_KEY),
    ("signed for another contract", kit.domain(verifying_contract=kit.PAYEE_2), kit.OWNER_KEY),
])
def test_a_grant_not_signed_by_its_owner_for_this_escrow_is_refused(escrow, usdc, owner, session_key, name,
                                                                     signing_domain, key):
    message = kit.grant_message(owner, session_key, usdc.address)
    signature = kit.sign(kit.typed_data("SessionGrant", signing_domain, message), key)
    with boa.reverts("grant: not signed by its owner"):
        escrow.registerSessionGrant(kit.as_struct(message, kit.GRANT_FIELDS), signature)


def test_a_grant_changed_after_signing_is_refused(escrow, usdc, owner, session_key):
    message = kit.grant_message(owner, session_key, usdc.address)
    signature = kit.sign(kit.typed_data("SessionGrant", kit.domain(), message), kit.OWNER_KEY)
    raised = dict(message, totalLimit=message["totalLimit"] * 100)
    with boa.reverts("grant: not signed by its owner"):
        escrow.registerSessionGrant(kit.as_struct(raised, kit.GRANT_FIELDS), signature)


@pytest.mark.parametrize("mangle,error", [
    (kit.high_s, "grant: malformed signature"),
    (lambda sig: sig[:64] + bytes([29]), "grant: malformed signature"),
    (lambda sig: sig[:64], "grant: signature must be 65 bytes"),
], ids=["high s", "v = 29", "64 bytes"])
def test_a_malformed_grant_signature_is_refused(escrow, usdc, owner, session_key, mangle, error):
    message = kit.grant_message(owner, session_key, usdc.address)
    signature = mangle(kit.sign(kit.typed_data("SessionGrant", kit.domain(), message), kit.OWNER_KEY))
    with boa.reverts(error):
        escrow.registerSessionGrant(kit.as_struct(message, kit.GRANT_FIELDS), signature)
    # The same grant with its proper signature goes through: the refusal was the signature's form.
    kit.register(escrow, message)


@pytest.mark.parametrize("overrides,error", [
    ({"validAfter": 2_000_000_000, "validUntil": 2_000_000_000}, "grant: validUntil must be after validAfter"),
    ({"totalLimit": 0}, "grant: zero limit"),
    ({"sessionKey": "0x" + "00" * 20}, "grant: zero owner or key"),
    ({"asset": "0x" + "00" * 20}, "grant: zero asset"),
])
def test_a_grant_that_could_never_be_honoured_is_refused(escrow, usdc, owner, session_key, overrides, error):
    message = dict(kit.grant_message(owner, session_key, usdc.address), **overrides)
    with boa.reverts(error):
        escrow.createSessionKey(kit.as_struct(message, kit.GRANT_FIELDS), sender=owner)


def test_the_largest_grant_the_gateway_accepts_fits(escrow, usdc, owner, session_key):
    """The gateway's reader allows 64 payees and 64 services of up to 128 UTF-8 bytes; so does the contract."""
    payees = [kit.address_of(kit.key_for(f"payee {i}")) for i in range(64)]
    services = [f"{i:02d}" + "模" * 42 for i in range(64)]  # 2 + 42 x 3 bytes
    assert all(len(service.encode()) == 128 for service in services)
    message = kit.grant_message(owner, session_key, usdc.address, payees=payees, services=services)
    grant_id = kit.register(escrow, message)
    assert grant_id == kit.digest(kit.typed_data("SessionGrant", kit.domain(), message))
    assert escrow.isPayeeAllowed(grant_id, payees[63])

    too_many = dict(message, payees=payees + [kit.PAYEE_2], salt=b"\x07" * 32)
    with boa.reverts():
        kit.register(escrow, too_many)
