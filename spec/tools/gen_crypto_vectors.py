#!/usr/bin/env python3
"""Generates the PBCrypto test vectors in spec/vectors/ from eth-account 0.14.0 (the pinned reference).

Deterministic: fixed private keys and inputs, no randomness, so re-running rewrites identical files.
Usage: python3 spec/tools/gen_crypto_vectors.py   (from anywhere; paths are relative to this file)
"""

import json
from pathlib import Path

import eth_account
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct
from eth_hash.auto import keccak
from eth_keys import keys
from eth_utils import is_checksum_address, to_checksum_address

REQUIRED_ETH_ACCOUNT = "0.14.0"
if eth_account.__version__ != REQUIRED_ETH_ACCOUNT:
    raise SystemExit(f"eth-account {REQUIRED_ETH_ACCOUNT} is pinned; found {eth_account.__version__}")

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
GENERATOR = f"spec/tools/gen_crypto_vectors.py (eth-account {REQUIRED_ETH_ACCOUNT})"

# The order of the secp256k1 group (SEC 2).
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def hex0x(data: bytes) -> str:
    return "0x" + data.hex()


def key_bytes(scalar: int) -> bytes:
    return scalar.to_bytes(32, "big")


def write(name: str, document: dict) -> None:
    path = VECTORS / name
    with path.open("w", encoding="utf-8") as file:
        json.dump(document, file, indent=2, sort_keys=True)
        file.write("\n")
    print(f"wrote {path}")


def pattern(length: int) -> bytes:
    """Bytes that are not all equal, so a lane or byte-order mistake changes the digest."""
    return bytes((index * 31 + 7) & 0xFF for index in range(length))


def keccak_vectors() -> dict:
    published = {
        "": "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        "abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
        "The quick brown fox jumps over the lazy dog":
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
    }
    cases = []
    for text, digest in published.items():
        # The published digests double as a check that eth-hash itself is Keccak (0x01 padding), not SHA3-256.
        assert keccak(text.encode()).hex() == digest, text
        cases.append({"name": f"published {text!r}", "input": {"hex": hex0x(text.encode())}, "digest": "0x" + digest})
    # Lengths around the 136-byte rate: one short of, at, and one past each block boundary, plus padding edges.
    for length in [0, 1, 3, 55, 56, 64, 135, 136, 137, 200, 271, 272, 273, 1000]:
        data = b"abc" if length == 3 else pattern(length)
        cases.append({"name": f"{length} bytes", "input": {"hex": hex0x(data)}, "digest": hex0x(keccak(data))})
    million = b"a" * 1_000_000
    cases.append({
        "name": "1000000 bytes of 'a'",
        "input": {"repeatByteHex": "61", "count": 1_000_000},
        "digest": hex0x(keccak(million)),
    })
    return {
        "description": "Keccak-256 (Ethereum, 0x01 padding) digests. input.hex is the message; "
                       "input.repeatByteHex/count is that byte repeated count times.",
        "generator": GENERATOR,
        "cases": cases,
    }


# Fixed private keys: the extremes 1 and n-1, small and structured scalars, and keys derived from labels.
PRIVATE_KEYS = [
    1,
    2,
    3,
    0xFF,
    2**128,
    N // 2,
    N - 2,
    N - 1,
    int.from_bytes(keccak(b"pb-stream payer"), "big") % N,
    int.from_bytes(keccak(b"pb-stream payee"), "big") % N,
    int.from_bytes(keccak(b"pb-stream session key"), "big") % N,
    0x4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318,
]


def address_vectors() -> dict:
    keys_cases = []
    for scalar in PRIVATE_KEYS:
        private_key = keys.PrivateKey(key_bytes(scalar))
        public_key = private_key.public_key
        address = Account.from_key(key_bytes(scalar)).address
        assert address == public_key.to_checksum_address()
        keys_cases.append({
            "privateKey": hex0x(key_bytes(scalar)),
            "uncompressedPublicKey": "0x04" + public_key.to_bytes().hex(),
            "compressedPublicKey": hex0x(public_key.to_compressed_bytes()),
            "address": address,
        })
    # From EIP-55 itself: all-caps, all-lower and mixed-case checksummed examples.
    eip55 = [
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]
    eip55_cases = [{"input": text, "checksummed": to_checksum_address(text)} for text in eip55]
    good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    invalid = [
        {"input": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "reason": "badChecksum"},
        {"input": "0x5AaEB6053f3e94c9B9a09F33669435e7eF1bEaED", "reason": "badChecksum"},
        {"input": good[:-1], "reason": "wrongDigitCount"},
        {"input": good + "0", "reason": "wrongDigitCount"},
        {"input": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "reason": "notHex"},
        {"input": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA d", "reason": "notHex"},
        {"input": good[2:], "reason": "missingPrefix"},
        {"input": "", "reason": "missingPrefix"},
    ]
    for case in invalid:
        assert not is_checksum_address(case["input"]), case
    return {
        "description": "Private key -> public key -> EIP-55 address; EIP-55 examples; address strings that must "
                       "be rejected, with the reason.",
        "generator": GENERATOR,
        "keys": keys_cases,
        "eip55": eip55_cases,
        "invalid": invalid,
    }


DIGEST_LABELS = [b"", b"pb-stream voucher #1", b"pb-stream voucher #2", b"grant"]


def digests() -> list[bytes]:
    fixed = [bytes(32), b"\xff" * 32, bytes(range(32))]
    return fixed + [keccak(label) for label in DIGEST_LABELS]


def signature_parts(signature: bytes) -> tuple[int, int, int]:
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]


def rebuild(r: int, s: int, v: int) -> bytes:
    return key_bytes(r) + key_bytes(s) + bytes([v])


def secp256k1_vectors() -> dict:
    signatures = []
    for key_index, scalar in enumerate(PRIVATE_KEYS):
        # Every key signs two digests (rotating), so the file stays small but covers every key and digest.
        for offset in range(2):
            digest = digests()[(key_index + offset) % len(digests())]
            signed = Account.unsafe_sign_hash(digest, key_bytes(scalar))
            signature = bytes(signed.signature)
            r, s, v = signature_parts(signature)
            assert v in (27, 28) and 0 < s <= N // 2
            signer = Account.from_key(key_bytes(scalar)).address
            assert Account._recover_hash(digest, signature=signature) == signer
            signatures.append({
                "privateKey": hex0x(key_bytes(scalar)),
                "digest": hex0x(digest),
                "signature": hex0x(signature),
                "signer": signer,
                "uncompressedPublicKey": "0x04" + keys.PrivateKey(key_bytes(scalar)).public_key.to_bytes().hex(),
            })
    base = signatures[-1]
    base_signature = bytes.fromhex(base["signature"][2:])
    r, s, v = signature_parts(base_signature)
    malformed = [
        # EIP-2: the mirror (n - s, flipped v) recovers the same signer, so accepting it makes signatures malleable.
        ("high s (n - s with v flipped)", rebuild(r, N - s, 55 - v), "highS"),
        ("v = 29", rebuild(r, s, 29), "invalidRecoveryID"),
        ("v = 35 (EIP-155 transaction v, not a message v)", rebuild(r, s, 35), "invalidRecoveryID"),
        ("v = 2", rebuild(r, s, 2), "invalidRecoveryID"),
        ("r = 0", rebuild(0, s, v), "invalidR"),
        ("s = 0", rebuild(r, 0, v), "invalidS"),
        ("r = n", rebuild(N, s, v), "invalidR"),
        ("s = n", rebuild(r, N, v), "invalidS"),
        ("r = 2^256 - 1", rebuild(2**256 - 1, s, v), "invalidR"),
        ("64 bytes (no v)", base_signature[:64], "invalidSignatureLength"),
        ("66 bytes", base_signature + b"\x00", "invalidSignatureLength"),
        ("empty", b"", "invalidSignatureLength"),
    ]
    return {
        "description": "65-byte r||s||v signatures (v = 27/28) from eth-account Account.unsafe_sign_hash with RFC 6979 "
                       "nonces: an implementation must produce them byte for byte and recover the signer. "
                       "malformed: derived from the last signature; each must be rejected for the given reason.",
        "generator": GENERATOR,
        "curveOrder": hex0x(key_bytes(N)),
        "signatures": signatures,
        "malformed": [
            {"name": name, "signature": hex0x(data), "digest": base["digest"], "reason": reason}
            for name, data, reason in malformed
        ],
    }


SIWE_MESSAGE = """pay.protocolbanks.example wants you to sign in with your Ethereum account:
0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed

Open a PB-Stream session for metered API access.

URI: https://pay.protocolbanks.example
Version: 1
Chain ID: 8453
Nonce: 32891756
Issued At: 2026-01-01T00:00:00Z"""


def eip191_vectors() -> dict:
    messages = [
        ("ASCII", "Hello, PB-Stream!".encode()),
        ("UTF-8 multi-byte", "Zahlung über 5 € — 支付 🚀".encode()),
        ("empty", b""),
        ("binary", bytes([0x00, 0xFF, 0x19, 0x0A, 0x80, 0x7F, 0x01])),
        ("32 bytes, signed as a message, not as a hash", keccak(b"pb-stream")),
        ("SIWE-like multi-line", SIWE_MESSAGE.encode()),
    ]
    cases = []
    for index, (name, message) in enumerate(messages):
        scalar = PRIVATE_KEYS[(index + 8) % len(PRIVATE_KEYS)]
        encoded = encode_defunct(primitive=message)
        digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)
        assert digest == _hash_eip191_message(encoded)
        signed = Account.sign_message(encoded, key_bytes(scalar))
        signer = Account.from_key(key_bytes(scalar)).address
        assert Account.recover_message(encoded, signature=signed.signature) == signer
        case = {
            "name": name,
            "messageHex": hex0x(message),
            "digest": hex0x(digest),
            "privateKey": hex0x(key_bytes(scalar)),
            "signature": hex0x(bytes(signed.signature)),
            "signer": signer,
        }
        try:
            case["messageText"] = message.decode("utf-8")
        except UnicodeDecodeError:
            pass
        cases.append(case)
    return {
        "description": "EIP-191 personal_sign: digest = keccak256(0x19 'Ethereum Signed Message:\\n' + decimal byte "
                       "length + message); signatures from Account.sign_message(encode_defunct(primitive=message)).",
        "generator": GENERATOR,
        "cases": cases,
    }


def main() -> None:
    VECTORS.mkdir(parents=True, exist_ok=True)
    write("keccak.json", keccak_vectors())
    write("addresses.json", address_vectors())
    write("secp256k1.json", secp256k1_vectors())
    write("eip191.json", eip191_vectors())


if __name__ == "__main__":
    main()
