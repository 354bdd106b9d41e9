"""Shared by the contract tests and gas_report.py: deploys the contracts with titanoboa and signs pb-session grants
and vouchers with the very code that writes spec/vectors/pb-session.json (spec/tools/gen_pb_session_vectors.py:
eth-account's encode_typed_data + sign_message, the same type lists and keys), so the contract is checked against
the typed data the Swift gateway and the SDKs are pinned to."""

import functools
import json
import pathlib
import sys

import boa
from eth_utils import keccak

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
sys.path.insert(0, str(ROOT / "spec" / "tools"))

import gen_pb_session_vectors as spec  # noqa: E402  (needs the path above)
from gen_pb_session_vectors import (  # noqa: E402,F401  (re-exported for the tests)
    OTHER_KEY, OWNER_KEY, PAYEE, PAYEE_2, SECP256K1_N, SESSION_KEY, address_of, typed_data,
)

VECTORS = json.loads((ROOT / "spec" / "vectors" / "pb-session.json").read_text())
GRANT_FIELDS = spec.GRANT_TYPE
VOUCHER_FIELDS = spec.VOUCHER_TYPE
USDC_ADDRESS = spec.USDC_BASE

# The vectors' on-chain domain: chain 31337 and the escrow at the first deployment address of a local node.
ESCROW_DOMAIN = VECTORS["domains"]["escrow-local"]
CHAIN_ID = int(ESCROW_DOMAIN["chainId"])
ESCROW_ADDRESS = ESCROW_DOMAIN["verifyingContract"]

SETTLEMENT_PERIOD = 86400

# validateAndRecord's reasons (SessionKeyValidator.vy).
SETTLED, GRANT_UNKNOWN, NOT_SETTLER, NOT_YET_VALID, EXPIRED, FROZEN, PAYEE_NOT_ALLOWED = range(7)
SIGNATURE_MALFORMED, SIGNATURE_INVALID, NOTHING_TO_SETTLE, OVER_LIMIT, INSUFFICIENT_ESCROW = range(7, 12)


def key_for(label: str) -> str:
    """A fixed private key per label, so runs are reproducible."""
    return "0x" + keccak(text="pb-stream contract tests " + label).hex()


def domain(chain_id: int = CHAIN_ID, verifying_contract: str = ESCROW_ADDRESS) -> dict:
    return {"name": "PB-Stream", "version": "1", "chainId": chain_id, "verifyingContract": verifying_contract}


def digest(td: dict) -> bytes:
    return spec.digest_of(td)


def sign(td: dict, key: str) -> bytes:
    return bytes.fromhex(spec.sign(td, key).removeprefix("0x"))


def as_struct(message: dict, fields: list) -> tuple:
    """A typed-data message (decimal strings or ints, hex strings) as the ABI tuple of the contract's struct."""
    values = []
    for field in fields:
        value, kind = message[field["name"]], field["type"]
        if kind.startswith("uint"):
            value = int(value)
        elif kind == "bytes32" and isinstance(value, str):
            value = bytes.fromhex(value.removeprefix("0x"))
        elif kind.endswith("[]"):
            value = list(value)
        values.append(value)
    return tuple(values)


def grant_message(owner: str, session_key: str, asset: str, **overrides) -> dict:
    now = boa.env.timestamp
    message = {
        "owner": owner, "sessionKey": session_key, "asset": asset, "payees": [PAYEE], "services": ["chat"],
        "totalLimit": 50_000_000, "perPaymentLimit": 1_000_000, "periodLimit": 0, "periodSeconds": 0,
        "maxCallsPerMinute": 0, "validAfter": now - 60, "validUntil": now + 30 * 86400,
        "salt": keccak(text=f"salt {owner} {session_key} {now}"),
    }
    message.update(overrides)
    return message


def voucher_message(grant_id: bytes, cumulative: int, sequence: int, payee: str = PAYEE, **overrides) -> dict:
    message = {
        "grantId": grant_id, "payee": payee, "cumulativeAmount": cumulative, "sequence": sequence,
        "requestBinding": keccak(text="POST /v1/chat"), "validUntil": boa.env.timestamp + 600,
    }
    message.update(overrides)
    return message


def split(signature: bytes) -> tuple:
    """65 bytes r || s || v as the (v, r, s) the contract's Claim takes."""
    return signature[64], signature[:32], signature[32:64]


def voucher_signature(message: dict, key: str = SESSION_KEY, domain_: dict | None = None) -> bytes:
    """The voucher signed by `key` under `domain_` (default: the escrow's)."""
    return sign(typed_data("PaymentVoucher", domain_ or domain(), message), key)


def claim(message: dict, key: str = SESSION_KEY, charged: int | None = None, domain_: dict | None = None,
          signature: bytes | None = None) -> tuple:
    """A Claim tuple for validateAndRecord: the voucher with `signature` or signed by `key` under `domain_`,
    claiming `charged` (default: the whole cumulative amount)."""
    v, r, s = split(signature or voucher_signature(message, key, domain_))
    amount = int(message["cumulativeAmount"]) if charged is None else charged
    return (as_struct(message, VOUCHER_FIELDS), v, r, s, amount)


def high_s(signature: bytes) -> bytes:
    """The same signature in its other (high-s) form: valid for ecrecover, refused by EIP-2."""
    v, r, s = signature[64], signature[:32], int.from_bytes(signature[32:64], "big")
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


@functools.cache
def deployer(name: str):
    """The compiled contract (compiled once per run), e.g. deployer("test/TestUSDC")."""
    return boa.load_partial(str(CONTRACTS / f"{name}.vy"))


AUTHORIZATION_TYPE = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]


def transfer_authorization(token, message: dict, key: str, chain_id: int = CHAIN_ID, mangle=bytes) -> tuple:
    """The arguments of TestUSDC.transferWithAuthorization for an EIP-3009 `message`, signed as an x402 `exact`
    client signs it (eth_signTypedData_v4 under the token's domain); `mangle` may alter the 65-byte signature."""
    td = {
        "types": {"EIP712Domain": spec.DOMAIN_TYPE, "TransferWithAuthorization": AUTHORIZATION_TYPE},
        "primaryType": "TransferWithAuthorization",
        "domain": {"name": "USDC", "version": "2", "chainId": chain_id, "verifyingContract": token.address},
        "message": message,
    }
    v, r, s = split(mangle(bytes.fromhex(spec.sign(td, key).removeprefix("0x"))))
    fields = ("from", "to", "value", "validAfter", "validBefore", "nonce")
    return tuple(message[name] for name in fields) + (v, r, s)


def deploy_escrow(period: int = SETTLEMENT_PERIOD, at: str | None = ESCROW_ADDRESS):
    return deployer("SessionKeyValidator").deploy(period, override_address=at)


def deploy_usdc(at: str | None = USDC_ADDRESS):
    return deployer("test/TestUSDC").deploy(override_address=at)


def fund(token, escrow, owner: str, amount: int):
    """Mints `amount` to `owner` and deposits it into the escrow."""
    token.mint(owner, amount)
    token.approve(escrow.address, amount, sender=owner)
    escrow.deposit(token.address, amount, sender=owner)


def register(escrow, message: dict, key: str = OWNER_KEY) -> bytes:
    """Registers a grant through the owner-signed path and returns its id."""
    signature = sign(typed_data("SessionGrant", domain(), message), key)
    return escrow.registerSessionGrant(as_struct(message, GRANT_FIELDS), signature)


def events(contract, name: str) -> list:
    """The decoded events called `name` of the contract's last call (child calls included)."""
    return [e for e in contract.get_logs() if type(e).__name__ == name]



def assert_paid_once(escrow, grant_id, sequence, amount, payee=None):
    """The last call settled one voucher of `amount` (its channel's first) and paid it with one Transfer."""
    payee = payee or PAYEE
    [event] = events(escrow, "VoucherSettled")
    assert (event.grantId, event.payee, event.sequence, event.settledCumulativeAmount, event.paid) == (
        grant_id, payee, sequence, amount, amount)
    [transfer] = events(escrow, "Transfer")
    assert (transfer.sender, transfer.receiver, transfer.value) == (escrow.address, payee, amount)
