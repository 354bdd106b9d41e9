#!/usr/bin/env python3
"""Generates spec/vectors/pb-session.json: the pb-session scheme of docs/PROTOCOL.md, signed by eth-account.

Everything here is computed by independent tools (eth-account for EIP-712 and signatures, `cryptography` for
secp256k1 ECDH and HKDF, the standard library for HMAC), never by PB's own code, so the Swift tests that load the
file check our implementation against them. Fixed keys and fixed times: re-running gives the same file.
"""

import copy
import hashlib
import hmac
import json
import pathlib
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from x402.http.utils import (
    decode_payment_required_header,
    decode_payment_signature_header,
    encode_payment_required_header,
    encode_payment_response_header,
    encode_payment_signature_header,
)
from x402.schemas import PaymentPayload, PaymentRequired, PaymentRequirements, ResourceInfo, SettleResponse

OUT = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "pb-session.json"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

OWNER_KEY = "0x" + "a1" * 32
SESSION_KEY = "0x" + "b2" * 32
OTHER_KEY = "0x" + "c3" * 32
GATEWAY_KEY = "0x" + "d4" * 32
PAYEE = to_checksum_address("0x9f1b6b1e2c4a0a1c83c6af1bd6e7f0a2b3c4d5e6")
PAYEE_2 = to_checksum_address("0x00000000000000000000000000000000000000ee")
USDC_BASE = to_checksum_address("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913")
ESCROW = to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
ZERO_ADDRESS = "0x" + "00" * 20

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
GRANT_TYPE = [
    {"name": "owner", "type": "address"},
    {"name": "sessionKey", "type": "address"},
    {"name": "asset", "type": "address"},
    {"name": "payees", "type": "address[]"},
    {"name": "services", "type": "string[]"},
    {"name": "totalLimit", "type": "uint128"},
    {"name": "perPaymentLimit", "type": "uint128"},
    {"name": "periodLimit", "type": "uint128"},
    {"name": "periodSeconds", "type": "uint64"},
    {"name": "maxCallsPerMinute", "type": "uint32"},
    {"name": "validAfter", "type": "uint64"},
    {"name": "validUntil", "type": "uint64"},
    {"name": "salt", "type": "bytes32"},
]
VOUCHER_TYPE = [
    {"name": "grantId", "type": "bytes32"},
    {"name": "payee", "type": "address"},
    {"name": "cumulativeAmount", "type": "uint128"},
    {"name": "sequence", "type": "uint64"},
    {"name": "requestBinding", "type": "bytes32"},
    {"name": "validUntil", "type": "uint64"},
]
RECEIPT_TYPE = [
    {"name": "receiptId", "type": "bytes32"},
    {"name": "grantId", "type": "bytes32"},
    {"name": "payee", "type": "address"},
    {"name": "amount", "type": "uint128"},
    {"name": "chargedCumulativeAmount", "type": "uint128"},
    {"name": "remainingLimit", "type": "uint128"},
    {"name": "sequence", "type": "uint64"},
    {"name": "callIndex", "type": "uint64"},
    {"name": "requestBinding", "type": "bytes32"},
    {"name": "issuedAt", "type": "uint64"},
]
PRIMARY_TYPES = {"SessionGrant": GRANT_TYPE, "PaymentVoucher": VOUCHER_TYPE, "PaymentReceipt": RECEIPT_TYPE}

DOMAINS = {
    "ledger-base": {"name": "PB-Stream", "version": "1", "chainId": "8453", "verifyingContract": ZERO_ADDRESS},
    "escrow-local": {"name": "PB-Stream", "version": "1", "chainId": "31337", "verifyingContract": ESCROW},
}


def hex0x(data: bytes) -> str:
    return "0x" + data.hex()


def typed_data(primary: str, domain: dict, message: dict) -> dict:
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, primary: PRIMARY_TYPES[primary]},
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }


def digest_of(td: dict) -> bytes:
    signable = encode_typed_data(full_message=td)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def struct_hash_of(td: dict) -> bytes:
    return encode_typed_data(full_message=td).body


def sign(td: dict, key: str) -> str:
    return hex0x(Account.sign_message(encode_typed_data(full_message=td), key).signature)


def address_of(key: str) -> str:
    return Account.from_key(key).address


def request_binding(method: str, target: str) -> bytes:
    return keccak((method + " " + target).encode("utf-8"))


def grant_message(**overrides) -> dict:
    message = {
        "owner": address_of(OWNER_KEY),
        "sessionKey": address_of(SESSION_KEY),
        "asset": USDC_BASE,
        "payees": [PAYEE],
        "services": ["chat"],
        "totalLimit": "50000000",
        "perPaymentLimit": "1000000",
        "periodLimit": "0",
        "periodSeconds": "0",
        "maxCallsPerMinute": "0",
        "validAfter": "1764000000",
        "validUntil": "1766592000",
        "salt": hex0x(keccak(b"pb-session vectors salt 1")),
    }
    message.update(overrides)
    return message


def grant_cases() -> list:
    variants = [
        ("scenario-1 chatbot: 50 USDC for 30 days, one payee, service chat", "ledger-base", {}),
        ("any payee, any service", "ledger-base", {"payees": [], "services": []}),
        ("two payees, three services, period and rate limits", "ledger-base", {
            "payees": [PAYEE, PAYEE_2], "services": ["chat", "embeddings", "模型-大"],
            "periodLimit": "5000000", "periodSeconds": "86400", "maxCallsPerMinute": "100"}),
        ("on-chain escrow domain", "escrow-local", {}),
        ("uint128 max limit", "ledger-base", {"totalLimit": str(2**128 - 1), "perPaymentLimit": "0"}),
    ]
    cases = []
    for name, domain_name, overrides in variants:
        td = typed_data("SessionGrant", DOMAINS[domain_name], grant_message(**overrides))
        cases.append({
            "name": name,
            "typedData": td,
            "structHash": hex0x(struct_hash_of(td)),
            "grantId": hex0x(digest_of(td)),
            "ownerPrivateKey": OWNER_KEY,
            "owner": address_of(OWNER_KEY),
            "signature": sign(td, OWNER_KEY),
        })
    return cases


def voucher_td(grant_id: str, domain: dict, **overrides) -> dict:
    message = {
        "grantId": grant_id,
        "payee": PAYEE,
        "cumulativeAmount": "10000",
        "sequence": "1",
        "requestBinding": hex0x(request_binding("POST", "/v1/chat")),
        "validUntil": "1764000600",
    }
    message.update(overrides)
    return typed_data("PaymentVoucher", domain, message)


def voucher_cases(grant_id: str) -> list:
    variants = [
        ("first single payment of 0.01 USDC for POST /v1/chat", {}),
        ("fourth payment, cumulative 0.04 USDC", {"cumulativeAmount": "40000", "sequence": "4"}),
        ("credit window of 1 USDC (zero binding)", {
            "cumulativeAmount": "1040000", "sequence": "5", "requestBinding": "0x" + "00" * 32}),
        ("query string in the binding", {
            "requestBinding": hex0x(request_binding("GET", "/v1/quote?symbol=ETH&depth=10"))}),
    ]
    cases = []
    for name, overrides in variants:
        td = voucher_td(grant_id, DOMAINS["ledger-base"], **overrides)
        cases.append({
            "name": name,
            "typedData": td,
            "structHash": hex0x(struct_hash_of(td)),
            "voucherId": hex0x(digest_of(td)),
            "sessionPrivateKey": SESSION_KEY,
            "signer": address_of(SESSION_KEY),
            "signature": sign(td, SESSION_KEY),
        })
    return cases


def binding_cases() -> list:
    requests = [("POST", "/v1/chat"), ("GET", "/v1/quote?symbol=ETH&depth=10"), ("GET", "/"),
                ("DELETE", "/v1/items/42"), ("PUT", "/v1/ünïcode?q=%E2%82%AC")]
    return [{"method": m, "target": t, "binding": hex0x(request_binding(m, t))} for m, t in requests]


def compressed_public_key(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)


def window_case(voucher: dict) -> dict:
    session = ec.derive_private_key(int(SESSION_KEY, 16), ec.SECP256K1())
    gateway = ec.derive_private_key(int(GATEWAY_KEY, 16), ec.SECP256K1())
    shared = session.exchange(ec.ECDH(), gateway.public_key())
    assert shared == gateway.exchange(ec.ECDH(), session.public_key())
    window_id = bytes.fromhex(voucher["voucherId"][2:])
    window_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=window_id,
                      info=b"pb-session/window/v1").derive(shared)
    calls = []
    for call_index, (method, target, amount) in enumerate(
            [("POST", "/v1/chat", 10000), ("POST", "/v1/chat", 10000), ("GET", "/v1/models", 0),
             ("POST", "/v1/chat?stream=true", 123456)], start=1):
        binding = request_binding(method, target)
        message = (b"pb-session/call/v1" + window_id + call_index.to_bytes(8, "big") + binding
                   + amount.to_bytes(16, "big"))
        calls.append({
            "callIndex": str(call_index), "method": method, "target": target, "requestBinding": hex0x(binding),
            "amount": str(amount), "message": hex0x(message),
            "mac": hex0x(hmac.new(window_key, message, hashlib.sha256).digest()),
        })
    return {
        "name": voucher["name"],
        "windowId": voucher["voucherId"],
        "sessionPrivateKey": SESSION_KEY,
        "sessionPublicKey": hex0x(compressed_public_key(session)),
        "gatewayPrivateKey": GATEWAY_KEY,
        "gatewayPublicKey": hex0x(compressed_public_key(gateway)),
        "sharedSecret": hex0x(shared),
        "windowKey": hex0x(window_key),
        "calls": calls,
    }


def receipt_case(grant_id: str, voucher: dict, call_index: int, amount: str, charged: str,
                 window_key: bytes | None = None) -> dict:
    receipt_id = keccak(bytes.fromhex(voucher["voucherId"][2:]) + call_index.to_bytes(8, "big"))
    message = {
        "receiptId": hex0x(receipt_id),
        "grantId": grant_id,
        "payee": PAYEE,
        "amount": amount,
        "chargedCumulativeAmount": charged,
        "remainingLimit": str(50000000 - int(charged)),
        "sequence": voucher["typedData"]["message"]["sequence"],
        "callIndex": str(call_index),
        "requestBinding": voucher["typedData"]["message"]["requestBinding"],
        "issuedAt": "1764000001",
    }
    td = typed_data("PaymentReceipt", DOMAINS["ledger-base"], message)
    case = {"voucherId": voucher["voucherId"], "typedData": td, "receiptId": hex0x(receipt_id),
            "digest": hex0x(digest_of(td)), "gatewayPrivateKey": GATEWAY_KEY, "gateway": address_of(GATEWAY_KEY),
            "signature": sign(td, GATEWAY_KEY)}
    if window_key is not None:
        # A call inside a credit window: the receipt MAC'd with the window key (docs/PROTOCOL.md, section 9).
        case["windowKey"] = hex0x(window_key)
        case["receiptMAC"] = hex0x(hmac.new(window_key, b"pb-session/receipt/v1" + digest_of(td),
                                            hashlib.sha256).digest())
    return case


def high_s(signature: str) -> str:
    raw = bytes.fromhex(signature[2:])
    s = int.from_bytes(raw[32:64], "big")
    flipped_v = 28 if raw[64] == 27 else 27
    return hex0x(raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([flipped_v]))


def tampered_cases(grant: dict, voucher: dict) -> list:
    cases = []

    def add(name, kind, td, signature, code):
        cases.append({"name": name, "kind": kind, "typedData": td, "signature": signature, "expectedCode": code})

    forged = copy.deepcopy(grant["typedData"])
    forged["message"]["totalLimit"] = "5000000000"
    add("grant limit raised after signing", "grant", forged, grant["signature"], "pb_grant_signature_invalid")
    add("grant signed by someone other than its owner", "grant", grant["typedData"],
        sign(grant["typedData"], OTHER_KEY), "pb_grant_signature_invalid")
    other_chain = copy.deepcopy(grant["typedData"])
    other_chain["domain"]["chainId"] = "1"
    add("grant replayed on another chain", "grant", other_chain, grant["signature"], "pb_grant_signature_invalid")
    add("grant with a high-s signature", "grant", grant["typedData"], high_s(grant["signature"]),
        "pb_signature_malformed")
    add("grant with v = 29", "grant", grant["typedData"], grant["signature"][:-2] + "1d", "pb_signature_malformed")
    add("grant with a 64-byte signature", "grant", grant["typedData"], grant["signature"][:-2],
        "pb_signature_malformed")
    raised = copy.deepcopy(voucher["typedData"])
    raised["message"]["cumulativeAmount"] = "20000"
    add("voucher amount raised after signing", "voucher", raised, voucher["signature"],
        "pb_voucher_signature_invalid")
    add("voucher signed by the owner instead of the session key", "voucher", voucher["typedData"],
        sign(voucher["typedData"], OWNER_KEY), "pb_voucher_signature_invalid")
    repointed = copy.deepcopy(voucher["typedData"])
    repointed["message"]["payee"] = PAYEE_2
    add("voucher redirected to another payee", "voucher", repointed, voucher["signature"],
        "pb_voucher_signature_invalid")
    add("voucher with a high-s signature", "voucher", voucher["typedData"], high_s(voucher["signature"]),
        "pb_signature_malformed")
    not_hex = copy.deepcopy(voucher["typedData"])
    not_hex["message"]["grantId"] = "0x1234"
    add("voucher with a 2-byte grant id", "voucher", not_hex, voucher["signature"], "invalid_payload")
    too_big = copy.deepcopy(voucher["typedData"])
    too_big["message"]["cumulativeAmount"] = str(2**128)
    add("voucher amount over uint128", "voucher", too_big, voucher["signature"], "invalid_payload")
    return cases


def voucher_wire(voucher: dict) -> dict:
    return {**voucher["typedData"]["message"], "signature": voucher["signature"]}


def pb_session_requirements(gateway_public_key: str, channel: dict | None = None) -> PaymentRequirements:
    extra = {
        "name": "USD Coin", "version": "2",
        "domain": DOMAINS["ledger-base"],
        "service": "chat", "unit": "call", "unitPrice": "0.01", "priceRule": "route:POST /v1/chat",
        "quoteId": "qt_01JDZ8Y4M3Q2K7W9X5V6T3R1P0", "quoteExpiresAt": "1764000060",
        "gatewayPublicKey": gateway_public_key, "maxWindowCredit": "1000000",
        "requestBinding": hex0x(request_binding("POST", "/v1/chat")),
    }
    if channel:
        extra["channel"] = channel
    return PaymentRequirements(scheme="pb-session", network="eip155:8453", asset=USDC_BASE, amount="10000",
                               pay_to=PAYEE, max_timeout_seconds=60, extra=extra)


def wire_cases(grants: list, vouchers: list, window: dict, receipts: list) -> dict:
    """The pb-session scheme inside x402's own models and header encoders: what a gateway sends and receives."""
    exact = PaymentRequirements(scheme="exact", network="eip155:8453", asset=USDC_BASE, amount="10000",
                                pay_to=PAYEE, max_timeout_seconds=60, extra={"name": "USD Coin", "version": "2"})
    resource = ResourceInfo(url="https://api.example.com/v1/chat", description="Chat completion",
                            mime_type="application/json")
    accepted = pb_session_requirements(window["gatewayPublicKey"])
    refused = PaymentRequired(
        error="pb_cumulative_mismatch", resource=resource,
        accepts=[pb_session_requirements(window["gatewayPublicKey"], channel={
            "grantId": grants[0]["grantId"], "chargedCumulativeAmount": "30000", "lastSequence": "3"}), exact])
    required = PaymentRequired(error="payment_required", resource=resource, accepts=[accepted, exact])
    # An x402 client reads our 402 with the official decoder, whatever scheme it knows.
    decoded = decode_payment_required_header(encode_payment_required_header(required))
    assert [a.scheme for a in decoded.accepts] == ["pb-session", "exact"]

    payloads = []

    def add_payload(name, payload, expected):
        model = PaymentPayload(resource=resource, accepted=accepted, payload=payload)
        header = encode_payment_signature_header(model)
        assert decode_payment_signature_header(header).payload == payload
        payloads.append({"name": name, "headerValue": header, "payload": payload, "expected": expected})

    add_payload("first voucher, grant included", {
        "type": "voucher",
        "grant": {"message": grants[0]["typedData"]["message"], "signature": grants[0]["signature"]},
        "voucher": voucher_wire(vouchers[0])},
        {"type": "voucher", "grantId": grants[0]["grantId"], "voucherId": vouchers[0]["voucherId"]})
    add_payload("later voucher, grant known to the gateway", {"type": "voucher", "voucher": voucher_wire(vouchers[1])},
                {"type": "voucher", "voucherId": vouchers[1]["voucherId"]})
    add_payload("credit window opening", {"type": "voucher", "voucher": voucher_wire(vouchers[2])},
                {"type": "voucher", "voucherId": vouchers[2]["voucherId"]})
    call = window["calls"][0]
    add_payload("call inside the window", {
        "type": "call", "grantId": grants[0]["grantId"], "windowId": window["windowId"],
        "callIndex": call["callIndex"], "mac": call["mac"]},
        {"type": "call", "grantId": grants[0]["grantId"], "windowId": window["windowId"],
         "callIndex": call["callIndex"], "mac": call["mac"]})

    receipt = receipts[0]
    settle = SettleResponse(success=True, transaction="", network="eip155:8453",
                            payer=address_of(OWNER_KEY), amount=receipt["typedData"]["message"]["amount"],
                            extra={"receipt": receipt["typedData"]["message"], "receiptSignature": receipt["signature"]})
    return {
        "paymentRequired": {"headerValue": encode_payment_required_header(required),
                            "json": json.loads(required.model_dump_json(by_alias=True, exclude_none=True))},
        "refusal": {"headerValue": encode_payment_required_header(refused),
                    "json": json.loads(refused.model_dump_json(by_alias=True, exclude_none=True))},
        "payloads": payloads,
        "settleResponse": {"headerValue": encode_payment_response_header(settle), "gateway": address_of(GATEWAY_KEY),
                           "receiptId": receipt["receiptId"]},
    }


def main() -> None:
    grants = grant_cases()
    grant_id = grants[0]["grantId"]
    vouchers = voucher_cases(grant_id)
    window = window_case(vouchers[2])
    receipts = [receipt_case(grant_id, vouchers[1], 0, "10000", "40000"),
                receipt_case(grant_id, vouchers[2], 3, "10000", "1060000",
                             window_key=bytes.fromhex(window["windowKey"][2:]))]
    document = {
        "description": "pb-session scheme (docs/PROTOCOL.md): grants, vouchers, request bindings, credit-window "
                       "keys and MACs, receipts, and tampered inputs with the code a verifier must give.",
        "generator": "spec/tools/gen_pb_session_vectors.py (eth-account 0.14.0, cryptography, x402 2.25.0)",
        "domains": DOMAINS,
        "encodedTypes": {
            "SessionGrant": "SessionGrant(" + ",".join(f"{f['type']} {f['name']}" for f in GRANT_TYPE) + ")",
            "PaymentVoucher": "PaymentVoucher(" + ",".join(f"{f['type']} {f['name']}" for f in VOUCHER_TYPE) + ")",
            "PaymentReceipt": "PaymentReceipt(" + ",".join(f"{f['type']} {f['name']}" for f in RECEIPT_TYPE) + ")",
        },
        "grants": grants,
        "vouchers": vouchers,
        "requestBindings": binding_cases(),
        "windows": [window],
        "receipts": receipts,
        "wire": wire_cases(grants, vouchers, window, receipts),
        "tampered": tampered_cases(grants[0], vouchers[0]),
    }
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} is out of date: run {__file__}")
        return
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
