"""The contract hashes grants and vouchers exactly as spec/vectors/pb-session.json (and so the Swift gateway) does."""

import boa
import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak

import escrow_kit as kit

GRANTS = kit.VECTORS["grants"]
VOUCHERS = kit.VECTORS["vouchers"]
ESCROW_GRANT = next(g for g in GRANTS if g["typedData"]["domain"] == kit.ESCROW_DOMAIN)


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def test_type_strings_are_the_vectors():
    # The struct-hash tests below check the type hashes through their effect; this one names the culprit when a
    # type string in the source drifts from the vectors' encodeType strings.
    source = (kit.CONTRACTS / "SessionKeyValidator.vy").read_text()
    flat = source.replace('"\n    "', "")
    for name in ("SessionGrant", "PaymentVoucher"):
        assert kit.VECTORS["encodedTypes"][name] in flat


@pytest.mark.parametrize("case", GRANTS, ids=[g["name"] for g in GRANTS])
def test_grant_struct_hash_matches_vectors(escrow, case):
    grant = kit.as_struct(case["typedData"]["message"], kit.GRANT_FIELDS)
    assert escrow.grantStructHash(grant) == hexbytes(case["structHash"])


@pytest.mark.parametrize("case", VOUCHERS, ids=[v["name"] for v in VOUCHERS])
def test_voucher_struct_hash_and_id_match_vectors(escrow, case):
    td = case["typedData"]
    struct_hash = escrow.voucherStructHash(kit.as_struct(td["message"], kit.VOUCHER_FIELDS))
    assert struct_hash == hexbytes(case["structHash"])
    # The vectors' vouchers use the ledger-only domain (chain 8453, no contract): the id is that domain's separator
    # (computed by eth-account) composed with the contract's struct hash.
    separator = encode_typed_data(full_message=td).header
    assert keccak(b"\x19\x01" + separator + struct_hash) == hexbytes(case["voucherId"])


def test_domain_separator_is_the_escrow_domain_of_the_vectors(escrow):
    assert escrow.address == kit.ESCROW_ADDRESS
    expected = encode_typed_data(full_message=ESCROW_GRANT["typedData"]).header
    assert escrow.domainSeparator() == expected


def test_escrow_grant_vector_registers_with_its_own_signature(escrow):
    grant = kit.as_struct(ESCROW_GRANT["typedData"]["message"], kit.GRANT_FIELDS)
    assert escrow.grantDigest(grant) == hexbytes(ESCROW_GRANT["grantId"])
    grant_id = escrow.registerSessionGrant(grant, hexbytes(ESCROW_GRANT["signature"]))
    assert grant_id == hexbytes(ESCROW_GRANT["grantId"])
    state = escrow.getGrant(grant_id)
    assert (state.owner, state.sessionKey, state.asset) == (ESCROW_GRANT["owner"], kit.address_of(kit.SESSION_KEY),
                                                            kit.USDC_ADDRESS)
    assert (state.totalLimit, state.spent, state.frozen, state.anyPayee) == (50_000_000, 0, False, False)


def test_voucher_digest_matches_eth_account_and_settles(escrow, usdc):
    """End to end with the vectors' keys: the escrow-domain grant, a voucher signed with the spec tools' method."""
    grant = kit.as_struct(ESCROW_GRANT["typedData"]["message"], kit.GRANT_FIELDS)
    grant_id = escrow.registerSessionGrant(grant, hexbytes(ESCROW_GRANT["signature"]))
    kit.fund(usdc, escrow, ESCROW_GRANT["owner"], 1_000_000)
    message = dict(VOUCHERS[0]["typedData"]["message"], grantId="0x" + grant_id.hex())
    td = kit.typed_data("PaymentVoucher", kit.ESCROW_DOMAIN, message)
    assert escrow.voucherDigest(kit.as_struct(message, kit.VOUCHER_FIELDS)) == kit.digest(td)

    results = escrow.validateAndRecord([kit.claim(message)], sender=kit.PAYEE)
    assert results == [kit.SETTLED]
    assert usdc.balanceOf(kit.PAYEE) == 10_000
    assert escrow.escrowBalance(ESCROW_GRANT["owner"], usdc.address) == 1_000_000 - 10_000


def test_grant_signed_for_the_ledger_domain_is_not_valid_here(escrow):
    """The vectors' ledger-rail grant (chain 8453, no contract) is signed by the owner, but not for this escrow."""
    case = GRANTS[0]
    grant = kit.as_struct(case["typedData"]["message"], kit.GRANT_FIELDS)
    with boa.reverts("grant: not signed by its owner"):
        escrow.registerSessionGrant(grant, hexbytes(case["signature"]))
