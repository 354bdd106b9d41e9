"""TestUSDC: a plain 6-decimal ERC-20 and EIP-3009 transferWithAuthorization (what an x402 `exact` payment uses)."""

import boa
import pytest

import escrow_kit as kit

HOLDER_KEY = kit.key_for("usdc holder")
HOLDER = kit.address_of(HOLDER_KEY)


def authorization(token, value=250_000, key=HOLDER_KEY, chain_id=kit.CHAIN_ID, mangle=bytes, **overrides) -> tuple:
    message = {"from": HOLDER, "to": kit.PAYEE, "value": value, "validAfter": 0,
               "validBefore": boa.env.timestamp + 600, "nonce": kit.keccak(text=f"nonce {value}")}
    message.update(overrides)
    return kit.transfer_authorization(token, message, key, chain_id, mangle)


@pytest.fixture
def funded(usdc):
    usdc.mint(HOLDER, 1_000_000)
    return usdc


def test_metadata(usdc):
    assert (usdc.name(), usdc.symbol(), usdc.decimals(), usdc.version()) == ("USDC", "USDC", 6, "2")


def test_transfer_and_transfer_from_move_exact_amounts(funded):
    funded.transfer(kit.PAYEE, 300_000, sender=HOLDER)
    funded.approve(kit.PAYEE_2, 200_000, sender=HOLDER)
    funded.transferFrom(HOLDER, kit.PAYEE_2, 150_000, sender=kit.PAYEE_2)
    assert (funded.balanceOf(HOLDER), funded.balanceOf(kit.PAYEE), funded.balanceOf(kit.PAYEE_2)) == (
        550_000, 300_000, 150_000)
    assert funded.allowance(HOLDER, kit.PAYEE_2) == 50_000
    with boa.reverts():
        funded.transferFrom(HOLDER, kit.PAYEE_2, 50_001, sender=kit.PAYEE_2)
    with boa.reverts():
        funded.transfer(kit.PAYEE, 550_001, sender=HOLDER)


def test_only_the_minter_mints(usdc):
    with boa.reverts("only the minter"):
        usdc.mint(HOLDER, 1, sender=HOLDER)


def test_a_signed_authorization_moves_the_funds_once(funded):
    args = authorization(funded)
    funded.transferWithAuthorization(*args, sender=kit.PAYEE_2)  # anyone may relay it
    used, transfer = funded.get_logs()
    assert (used.authorizer, used.nonce) == (HOLDER, args[5])
    assert (transfer.sender, transfer.receiver, transfer.value) == (HOLDER, kit.PAYEE, 250_000)
    assert funded.balanceOf(HOLDER) == 750_000 and funded.balanceOf(kit.PAYEE) == 250_000
    assert funded.authorizationState(HOLDER, args[5])

    with boa.reverts("authorization is used"):
        funded.transferWithAuthorization(*args)
    assert funded.balanceOf(kit.PAYEE) == 250_000


def test_an_expired_authorization_is_refused(funded):
    args = authorization(funded, validBefore=boa.env.timestamp)
    with boa.reverts("authorization is expired"):
        funded.transferWithAuthorization(*args)
    assert funded.balanceOf(kit.PAYEE) == 0


def test_an_authorization_not_yet_valid_is_refused(funded):
    args = authorization(funded, validAfter=boa.env.timestamp)
    with boa.reverts("authorization is not yet valid"):
        funded.transferWithAuthorization(*args)
    boa.env.timestamp += 1
    funded.transferWithAuthorization(*args)
    assert funded.balanceOf(kit.PAYEE) == 250_000


def raise_value(args: tuple) -> tuple:
    return args[:2] + (args[2] + 1,) + args[3:]


@pytest.mark.parametrize("name,make", [
    ("signed by another key", lambda token: authorization(token, key=kit.OTHER_KEY)),
    ("signed for another chain", lambda token: authorization(token, chain_id=8453)),
    ("value raised after signing", lambda token: raise_value(authorization(token))),
    ("high s", lambda token: authorization(token, mangle=kit.high_s)),
])
def test_a_bad_signature_is_refused(funded, name, make):
    with boa.reverts("invalid signature"):
        funded.transferWithAuthorization(*make(funded))
    assert funded.balanceOf(HOLDER) == 1_000_000 and funded.balanceOf(kit.PAYEE) == 0
