#!/usr/bin/env python3
"""Writes spec/vectors/eip712.json: EIP-712 (eth_signTypedData_v4) vectors computed by eth-account.

Run with Python 3.11 and eth-account==0.14.0 (the pinned reference). Deterministic: keys are fixed.
    python3 spec/tools/gen_eip712_vectors.py
"""

import copy
import json
import pathlib

import eth_account
from eth_account import Account
from eth_account._utils.encode_typed_data.encoding_and_hashing import (
    encode_type,
    get_primary_type,
    hash_domain,
    hash_struct,
    hash_type,
)
from eth_account.messages import encode_typed_data
from eth_utils import keccak

assert eth_account.__version__ == "0.14.0", eth_account.__version__

OUTPUT = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "eip712.json"
KEYS = ["0x" + f"{index:064x}" for index in (1, 2, 0x4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318)]
DOMAIN_FIELD_TYPES = {
    "name": "string",
    "version": "string",
    "chainId": "uint256",
    "verifyingContract": "address",
    "salt": "bytes32",
}
ALICE = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
BOB = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"
CONTRACT = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
SALT = "0x" + "5a" * 16 + "0f" * 16
UINT256_MAX = 2**256 - 1


def domain_types(domain):
    # eth-account hashes the domain in the EIP's field order whatever the order of `types.EIP712Domain`.
    return [{"name": key, "type": kind} for key, kind in DOMAIN_FIELD_TYPES.items() if key in domain]


def typed_data(types, primary, message, domain=None):
    domain = domain if domain is not None else {"name": "PB Test", "version": "1", "chainId": 1, "verifyingContract": CONTRACT}
    all_types = {"EIP712Domain": domain_types(domain)}
    all_types.update(types)
    return {"types": all_types, "primaryType": primary, "domain": domain, "message": message}


def fields(*pairs):
    return [{"name": name, "type": kind} for kind, name in (pair.split(" ") for pair in pairs)]


MAIL_TYPES = {
    "Person": fields("string name", "address wallet"),
    "Mail": fields("Person from", "Person to", "string contents"),
}
MAIL_MESSAGE = {"from": {"name": "Cow", "wallet": ALICE}, "to": {"name": "Bob", "wallet": BOB}, "contents": "Hello, Bob!"}
MAIL_DOMAIN = {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": CONTRACT}


def single(kind, value, domain=None):
    return typed_data({"Value": fields(f"{kind} value")}, "Value", {"value": value}, domain)


VALID = [
    ("eip712 mail example", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, MAIL_DOMAIN)),
    (
        "mail with person arrays (EIP-712 v4 example)",
        typed_data(
            {
                "Person": fields("string name", "address[] wallets"),
                "Mail": fields("Person from", "Person[] to", "string contents"),
            },
            "Mail",
            {
                "from": {"name": "Cow", "wallets": [ALICE, "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},
                "to": [{"name": "Bob", "wallets": [BOB, "0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57", "0xB0B0b0b0b0b0B000000000000000000000000000"]}],
                "contents": "Hello, Bob!",
            },
            MAIL_DOMAIN,
        ),
    ),
    (
        "nested structs three deep",
        typed_data(
            {
                "Outer": fields("Middle middle", "uint256 tag"),
                "Middle": fields("Inner inner", "string label"),
                "Inner": fields("bytes32 id", "bool flag"),
            },
            "Outer",
            {"middle": {"inner": {"id": "0x" + "11" * 32, "flag": True}, "label": "mid"}, "tag": 7},
        ),
    ),
    (
        "array of structs",
        typed_data(
            {"Batch": fields("Item[] items", "uint64 count"), "Item": fields("address to", "uint128 amount")},
            "Batch",
            {"items": [{"to": ALICE, "amount": 1}, {"to": BOB, "amount": "340282366920938463463374607431768211455"}], "count": 2},
        ),
    ),
    ("fixed-size array", single("uint16[3]", [1, 2, 65535])),
    ("fixed-size array of structs", typed_data({"Pair": fields("Point[2] points"), "Point": fields("int32 x", "int32 y")}, "Pair", {"points": [{"x": -1, "y": 2}, {"x": 3, "y": -4}]})),
    ("two-dimensional dynamic array", single("uint8[][]", [[1, 2], [], [3]])),
    ("two-dimensional mixed array", single("address[2][]", [[ALICE, BOB], [BOB, ALICE], [ALICE, ALICE]])),
    ("three-dimensional array of strings", single("string[][2][]", [[["a", "b"], []], [[], ["c"]]])),
    ("empty dynamic array", single("uint256[]", [])),
    ("empty array of structs", typed_data({"Batch": fields("Item[] items"), "Item": fields("uint8 x")}, "Batch", {"items": []})),
    ("bytes empty", single("bytes", "0x")),
    ("bytes long", single("bytes", "0x" + bytes(range(256)).hex() + "ff" * 44)),
    ("string unicode", single("string", "Grüße, 世界! 😀 \u0000 \"quoted\" \\ \n")),
    ("string empty", single("string", "")),
    ("bytes1", single("bytes1", "0xab")),
    ("bytes32", single("bytes32", "0x" + "fe" * 32)),
    ("bytes8 array", single("bytes8[]", ["0x0102030405060708", "0x" + "00" * 8])),
    ("uint8 max", single("uint8", 255)),
    ("uint256 max", single("uint256", UINT256_MAX)),
    ("uint256 max as decimal string", single("uint256", str(UINT256_MAX))),
    ("uint256 max as hex string", single("uint256", "0x" + "ff" * 32)),
    ("uint128 max", single("uint128", 2**128 - 1)),
    ("uint hex string with leading zeros", single("uint64", "0x000000000000000000ff")),
    ("int8 min", single("int8", -128)),
    ("int8 max", single("int8", 127)),
    ("int256 negative", single("int256", -(2**255))),
    ("int256 minus one as string", single("int256", "-1")),
    ("int64 positive hex", single("int64", "0x7fffffffffffffff")),
    ("int24 negative", single("int24", -8388608)),
    ("address lower case", single("address", "0x" + "ab" * 20)),
    ("address zero", single("address", "0x" + "00" * 20)),
    ("bool true and false", typed_data({"Flags": fields("bool on", "bool off")}, "Flags", {"on": True, "off": False})),
    ("domain with only name", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {"name": "Only Name"})),
    ("domain with salt", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {"name": "Salty", "version": "2", "chainId": 137, "verifyingContract": CONTRACT, "salt": SALT})),
    ("domain without verifyingContract", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {"name": "No Contract", "version": "1", "chainId": 8453})),
    ("domain chainId as decimal string", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {"name": "Ether Mail", "version": "1", "chainId": "1", "verifyingContract": CONTRACT})),
    ("domain chainId as hex string", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {"name": "Ether Mail", "version": "1", "chainId": "0x2105", "verifyingContract": CONTRACT})),
    ("domain with only chainId and salt", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {"chainId": 10, "salt": SALT})),
    ("empty domain", typed_data(MAIL_TYPES, "Mail", MAIL_MESSAGE, {})),
    (
        "type names sorting differently from definition order",
        typed_data(
            {
                "Root": fields("zebra z", "Apple a", "Mango m"),
                "zebra": fields("uint8 stripes"),
                "Mango": fields("Apple apple", "string name"),
                "Apple": fields("bool ripe"),
            },
            "Root",
            {"z": {"stripes": 9}, "a": {"ripe": True}, "m": {"apple": {"ripe": False}, "name": "alphonso"}},
        ),
    ),
    (
        "payment voucher",
        typed_data(
            {"Voucher": fields("bytes32 sessionId", "address payee", "uint128 cumulativeAmount", "uint64 sequence", "uint64 issuedAt")},
            "Voucher",
            {
                "sessionId": "0x" + keccak(text="session-1").hex(),
                "payee": BOB,
                "cumulativeAmount": "1500000",
                "sequence": 42,
                "issuedAt": 1767225600,
            },
            {"name": "PB-Stream", "version": "1", "chainId": 8453, "verifyingContract": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"},
        ),
    ),
    (
        "session grant",
        typed_data(
            {
                "SessionGrant": fields(
                    "address sessionKey", "address payee", "address asset", "uint128 totalLimit",
                    "uint128 perRequestLimit", "uint64 validAfter", "uint64 validUntil", "bytes32 salt", "Scope[] scopes",
                ),
                "Scope": fields("string resource", "uint128 maxAmount"),
            },
            "SessionGrant",
            {
                "sessionKey": "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF",
                "payee": BOB,
                "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
                "totalLimit": "0x" + "ff" * 16,
                "perRequestLimit": 10000,
                "validAfter": 1767225600,
                "validUntil": "18446744073709551615",
                "salt": SALT,
                "scopes": [{"resource": "https://api.example.com/v1/*", "maxAmount": 5000}, {"resource": "", "maxAmount": 0}],
            },
            {"name": "PB-Stream", "version": "1", "chainId": "84532", "verifyingContract": CONTRACT},
        ),
    ),
]

# (name, typedData, substring of the problem, whether eth-account rejects it too)
INVALID = [
    ("uint8 of 256", single("uint8", 256), "does not fit uint8", True),
    ("int8 of -129", single("int8", -129), "does not fit int8", True),
    ("negative uint", single("uint64", -1), "does not fit uint64", True),
    ("uint256 overflow", single("uint256", 2**256), "does not fit uint256", True),
    ("uint128 overflow in a grant", typed_data({"Grant": fields("uint128 totalLimit")}, "Grant", {"totalLimit": str(2**128)}), "message.totalLimit: 340282366920938463463374607431768211456 does not fit uint128", True),
    ("bytes4 given 5 bytes", single("bytes4", "0x0102030405"), "bytes4", True),
    ("unknown type", single("uint7", 1), "uint7", True),
    ("undefined struct type", typed_data({"Root": fields("Missing m")}, "Root", {"m": {}}), "Missing", True),
    ("missing uint field", typed_data({"Pair": fields("uint256 a", "uint256 b")}, "Pair", {"a": 1}), "message.b", True),
    ("fixed array of wrong length", single("uint8[2]", [1, 2, 3]), "message.value", False),
    ("missing string field", typed_data({"Note": fields("string text", "uint8 n")}, "Note", {"n": 1}), "message.text", False),
    ("cyclic types", typed_data({"Node": fields("Node next", "uint8 v")}, "Node", {"next": None, "v": 1}), "cycl", False),
    ("bool given a string", single("bool", "false"), "message.value", False),
    ("bad address", single("address", "0x1234"), "message.value", True),
    ("non-integer number for uint", single("uint256", "1.5"), "message.value", True),
]


def hexed(data):
    return "0x" + bytes(data).hex()


def valid_case(name, data):
    # Round-trip through JSON first: the vector must describe exactly what the Swift side will read.
    data = json.loads(json.dumps(data))
    types = {key: value for key, value in data["types"].items() if key != "EIP712Domain"}
    primary = data["primaryType"]
    assert get_primary_type(types) == primary, name
    signable = encode_typed_data(full_message=copy.deepcopy(data))
    domain_separator = hash_domain(data["domain"])
    struct_hash = hash_struct(primary, types, data["message"])
    assert signable.header == domain_separator and signable.body == struct_hash, name
    digest = keccak(b"\x19\x01" + domain_separator + struct_hash)
    key = KEYS[len(name) % len(KEYS)]
    signed = Account.sign_message(signable, key)
    assert signed.message_hash == digest, name
    return {
        "name": name,
        "typedData": data,
        "encodedType": encode_type(primary, types),
        "typeHash": hexed(hash_type(primary, types)),
        "domainSeparator": hexed(domain_separator),
        "structHash": hexed(struct_hash),
        "digest": hexed(digest),
        "privateKey": key,
        "signature": hexed(signed.signature),
        "signer": Account.from_key(key).address,
    }


def invalid_case(name, data, problem, eth_account_rejects):
    data = json.loads(json.dumps(data))
    try:
        encode_typed_data(full_message=copy.deepcopy(data))
        rejected = False
    except Exception:  # eth-account raises ValueError, TypeError, eth_abi and eth_utils errors alike
        rejected = True
    assert rejected == eth_account_rejects, f"{name}: eth-account rejected={rejected}"
    return {"name": name, "typedData": data, "problem": problem, "ethAccountRejects": eth_account_rejects}


def main():
    cases = [valid_case(name, data) for name, data in VALID]
    assert len({case["name"] for case in cases}) == len(cases)
    document = {
        "description": (
            "EIP-712 eth_signTypedData_v4 vectors. Valid cases carry the encoded primary type, its type hash, the domain "
            "separator, the message struct hash, the signing digest and a signature by privateKey. Invalid cases must be "
            "rejected; `problem` is a substring of what is wrong. Where ethAccountRejects is false, eth-account accepts "
            "the input (it pads, coerces or defaults) but PB-Stream is deliberately stricter."
        ),
        "generator": f"spec/tools/gen_eip712_vectors.py with eth-account {eth_account.__version__}",
        "cases": cases,
        "invalid": [invalid_case(*entry) for entry in INVALID],
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8") as output:
        json.dump(document, output, indent=2, sort_keys=True)
        output.write("\n")
    print(f"wrote {len(cases)} valid and {len(INVALID)} invalid cases to {OUTPUT}")


if __name__ == "__main__":
    main()
