#!/usr/bin/env python3
"""Generates spec/vectors/evm.json: RLP encodings and signed EIP-1559 transactions, from eth-account 0.14.0 and
its rlp package (the pinned reference), for the EVM rail's encoder in every language.

Deterministic: fixed keys and fields, RFC 6979 signatures, so re-running rewrites an identical file.
Usage: python3 spec/tools/gen_evm_vectors.py
"""

import json
from pathlib import Path

import eth_account
import rlp
from eth_account import Account
from eth_hash.auto import keccak

REQUIRED_ETH_ACCOUNT = "0.14.0"
if eth_account.__version__ != REQUIRED_ETH_ACCOUNT:
    raise SystemExit(f"eth-account {REQUIRED_ETH_ACCOUNT} is pinned; found {eth_account.__version__}")

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
GENERATOR = f"spec/tools/gen_evm_vectors.py (eth-account {REQUIRED_ETH_ACCOUNT}, rlp)"


def hex0x(data: bytes) -> str:
    return "0x" + data.hex()


def integer_bytes(value: int) -> bytes:
    """RLP's integer form: big-endian without leading zeros; zero is the empty string."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


def item_json(item):
    """An RLP item as the vectors write it: {"bytes": "0x.."} or {"list": [...]}."""
    if isinstance(item, list):
        return {"list": [item_json(element) for element in item]}
    return {"bytes": hex0x(item)}


def rlp_vectors():
    cases = [
        ("empty string", b""),
        ("single byte below 0x80", b"\x7f"),
        ("single byte 0x80", b"\x80"),
        ("short string", b"dog"),
        ("55-byte string (longest short form)", bytes(range(55))),
        ("56-byte string (first long form)", bytes(range(56))),
        ("1024-byte string", bytes(index & 0xFF for index in range(1024))),
        ("integer 0", integer_bytes(0)),
        ("integer 15", integer_bytes(15)),
        ("integer 1024", integer_bytes(1024)),
        ("integer 2^128 - 1", integer_bytes(2**128 - 1)),
        ("empty list", []),
        ("list of strings", [b"cat", b"dog"]),
        ("nested empty lists", [[], [[]], [[], [[]]]]),
        ("list longer than 55 bytes", [bytes(range(30)), bytes(range(30))]),
    ]
    return [{"name": name, "item": item_json(item), "encoded": hex0x(rlp.encode(item))} for name, item in cases]


def transaction_vectors():
    key = Account.from_key("0x" + "4c" * 32)
    contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    cases = [
        ("value transfer", {"to": "0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6", "value": 10**18, "data": b""}),
        ("contract call with data", {"to": contract, "value": 0, "data": bytes.fromhex("a9059cbb") + bytes(64)}),
        ("contract creation (no to)", {"to": None, "value": 0, "data": bytes.fromhex("66465f5260205ff35f5260076019f3")}),
        ("large fields", {"to": contract, "value": 2**128 - 1, "data": bytes(range(200))}),
    ]
    vectors = []
    for index, (name, fields) in enumerate(cases):
        transaction = {
            "type": 2, "chainId": [31337, 8453, 1, 7001][index], "nonce": [0, 7, 255, 2**40][index],
            "maxPriorityFeePerGas": [10**9, 1, 0, 2**64][index], "maxFeePerGas": [3 * 10**9, 2 * 10**9, 10**9, 2**70][index],
            "gas": [21_000, 90_000, 500_000, 30_000_000][index], "value": fields["value"], "data": fields["data"],
        }
        if fields["to"] is not None:
            transaction["to"] = fields["to"]
        signed = key.sign_transaction(transaction)
        raw = bytes(signed.raw_transaction)
        vectors.append({
            "name": name,
            "privateKey": hex0x(key.key),
            "sender": key.address,
            "chainId": str(transaction["chainId"]), "nonce": str(transaction["nonce"]),
            "maxPriorityFeePerGas": str(transaction["maxPriorityFeePerGas"]),
            "maxFeePerGas": str(transaction["maxFeePerGas"]), "gasLimit": str(transaction["gas"]),
            "to": fields["to"], "value": str(fields["value"]), "data": hex0x(fields["data"]),
            "signingHash": hex0x(keccak(b"\x02" + rlp.encode(rlp.decode(raw[1:])[:9]))),
            "raw": hex0x(raw), "hash": hex0x(bytes(signed.hash)),
            "yParity": signed.v, "r": hex(signed.r), "s": hex(signed.s),
        })
    return vectors


def main():
    document = {
        "generator": GENERATOR,
        "rlp": rlp_vectors(),
        "eip1559": transaction_vectors(),
    }
    path = VECTORS / "evm.json"
    with path.open("w", encoding="utf-8") as file:
        json.dump(document, file, indent=2, sort_keys=True)
        file.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
