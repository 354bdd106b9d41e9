#!/usr/bin/env python3
"""Generates spec/vectors/evm.json: RLP encodings, signed EIP-1559 transactions and ABI encodings, from
eth-account 0.14.0 and its rlp and eth-abi packages (the pinned reference), for the EVM rail in every language.

Deterministic: fixed keys and fields, RFC 6979 signatures, so re-running rewrites an identical file.
Usage: python3 spec/tools/gen_evm_vectors.py
"""

import json
from pathlib import Path

import eth_account
import rlp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_hash.auto import keccak

REQUIRED_ETH_ACCOUNT = "0.14.0"
if eth_account.__version__ != REQUIRED_ETH_ACCOUNT:
    raise SystemExit(f"eth-account {REQUIRED_ETH_ACCOUNT} is pinned; found {eth_account.__version__}")

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
GENERATOR = f"spec/tools/gen_evm_vectors.py (eth-account {REQUIRED_ETH_ACCOUNT}, rlp, eth-abi)"


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


def value_json(abi_type, value):
    """A value as the vectors write it: integers and byte strings as strings, tuples and arrays as lists."""
    if abi_type.endswith("[]"):
        return [value_json(abi_type[:-2], element) for element in value]
    if abi_type.startswith("("):
        inner = split_tuple(abi_type)
        return [value_json(member, element) for member, element in zip(inner, value)]
    if abi_type.startswith(("uint", "int")):
        return str(value)
    if abi_type.startswith("bytes"):
        return hex0x(value)
    return value


def split_tuple(abi_type):
    """'(uint256,(bytes32,address)[],bool)' -> ['uint256', '(bytes32,address)[]', 'bool']."""
    members, depth, current = [], 0, ""
    for character in abi_type[1:-1]:
        if character == "," and depth == 0:
            members.append(current)
            current = ""
            continue
        depth += character == "("
        depth -= character == ")"
        current += character
    return members + [current] if current else members


def abi_vectors():
    payee = "0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6"
    voucher = (bytes(range(32)), payee, 10**7, 4, bytes(32), 1_764_000_600)
    cases = [
        ("uint256 and address", ["uint256", "address"], [2**128 - 1, payee]),
        ("bool, bytes32, uint64", ["bool", "bytes32", "uint64"], [True, bytes(range(32)), 2**64 - 1]),
        ("dynamic bytes and string", ["bytes", "string"], [bytes(range(70)), "PB-Stream ✓"]),
        ("empty dynamic values", ["bytes", "string", "uint256[]"], [b"", "", []]),
        ("array of static tuples (validateAndRecord's claims)",
         ["((bytes32,address,uint128,uint64,bytes32,uint64),uint8,bytes32,bytes32,uint128)[]"],
         [[(voucher, 27, bytes([1]) * 32, bytes([2]) * 32, 10**7), (voucher, 28, bytes([3]) * 32, bytes([4]) * 32, 0)]]),
        ("tuple with dynamic arrays (a SessionGrant)",
         ["(address,address,address,address[],string[],uint128,uint64,uint64)"],
         [(payee, payee, payee, [payee, payee], ["chat", "search"], 5 * 10**7, 1_764_000_000, 1_766_592_000)]),
    ]
    return [
        {"name": name, "types": types, "values": [value_json(t, v) for t, v in zip(types, values)],
         "encoded": hex0x(abi_encode(types, values))}
        for name, types, values in cases
    ]


def main():
    document = {
        "generator": GENERATOR,
        "rlp": rlp_vectors(),
        "eip1559": transaction_vectors(),
        "abi": abi_vectors(),
    }
    path = VECTORS / "evm.json"
    with path.open("w", encoding="utf-8") as file:
        json.dump(document, file, indent=2, sort_keys=True)
        file.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
