#!/usr/bin/env python3.11
"""Writes spec/vectors/x402.json from the official `x402` Python package (pinned: 2.25.0).

Every `json` member is what the package's pydantic models dump (by_alias, exclude_none) and every `headerValue`
is what its own `x402.http.utils` encoders produce, so the Swift tests check PB-Stream against the reference
implementation rather than against our reading of the spec. Deterministic: fixed inputs, sorted keys.

Usage: python3.11 spec/tools/gen_x402_vectors.py   (from the repository root)
"""

import base64
import json
import pathlib
import re
from importlib.metadata import version

from x402.http.constants import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
    X_PAYMENT_HEADER,
    X_PAYMENT_RESPONSE_HEADER,
)
from x402.http.utils import (
    decode_payment_signature_header,
    encode_payment_required_header,
    encode_payment_response_header,
    encode_payment_signature_header,
)
from x402.schemas import (
    PaymentPayload,
    PaymentRequired,
    PaymentRequirements,
    ResourceInfo,
    SettleResponse,
    SupportedKind,
    SupportedResponse,
    VerifyRequest,
    VerifyResponse,
)
from x402.schemas.v1 import PaymentPayloadV1, PaymentRequiredV1, PaymentRequirementsV1

PINNED_VERSION = "2.25.0"
MAX_HEADER_BYTES = 16_384
OUTPUT = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "x402.json"

USDC_BASE_SEPOLIA = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
USDC_BASE = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
PAYER = "0x857b06519E91e3A54538791bDbb0E22373e36b66"
TX_HASH = "0x" + "ab" * 32
NONCE = "0x" + "0f" * 32
SIGNATURE = "0x" + "11" * 65


def dump(model) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def exact_base_sepolia() -> PaymentRequirements:
    return PaymentRequirements(
        scheme="exact",
        network="eip155:84532",
        asset=USDC_BASE_SEPOLIA,
        amount="10000",
        pay_to=PAY_TO,
        max_timeout_seconds=60,
        extra={"name": "USDC", "version": "2"},
    )


def payment_required() -> PaymentRequired:
    unknown_scheme = PaymentRequirements(
        scheme="batch-settlement",
        network="eip155:8453",
        asset=USDC_BASE,
        amount="1000",
        pay_to=PAY_TO,
        max_timeout_seconds=3600,
        extra={
            "name": "USD Coin",
            "version": "2",
            "escrow": {"address": "0x" + "22" * 20, "withdrawDelaySeconds": 86400},
            "futureFlag": True,
            "tiers": [1, 2, 3],
        },
    )
    no_extra = PaymentRequirements(
        scheme="exact", network="solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
        asset="4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU", amount="10000",
        pay_to="2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4", max_timeout_seconds=60,
    )
    return PaymentRequired(
        error="PAYMENT-SIGNATURE header is required",
        resource=ResourceInfo(url="https://api.example.com/premium/weather?city=Z%C3%BCrich",
                              description="Weather in Zürich", mime_type="application/json"),
        accepts=[exact_base_sepolia(), unknown_scheme, no_extra],
        extensions={"bazaar": {"info": {"input": {"type": "http", "method": "GET"}}, "schema": {"type": "object"}}},
    )


def payment_payload() -> PaymentPayload:
    # The shape of x402.mechanisms.evm.types.ExactEIP3009Payload.to_dict(); importing that module needs web3,
    # which the vectors do not, so the dictionary is written out here.
    exact = {
        "authorization": {
            "from": PAYER, "to": PAY_TO, "value": "10000",
            "validAfter": "1740672089", "validBefore": "1740672154", "nonce": NONCE,
        },
        "signature": SIGNATURE,
    }
    return PaymentPayload(
        resource=ResourceInfo(url="https://api.example.com/premium/weather"),
        accepted=exact_base_sepolia(),
        payload=exact,
    )


def settle_success() -> SettleResponse:
    return SettleResponse(success=True, payer=PAYER, transaction=TX_HASH, network="eip155:84532", amount="10000")


def settle_failure() -> SettleResponse:
    return SettleResponse(success=False, error_reason="insufficient_funds",
                          error_message="payer balance 5000 < 10000", payer=PAYER, transaction="",
                          network="eip155:84532")


def v1_required() -> PaymentRequiredV1:
    return PaymentRequiredV1(
        error="X-PAYMENT header is required",
        accepts=[PaymentRequirementsV1(
            scheme="exact", network="base-sepolia", max_amount_required="10000",
            resource="https://api.example.com/premium/weather", description="Weather report",
            mime_type="application/json", pay_to=PAY_TO, max_timeout_seconds=60, asset=USDC_BASE_SEPOLIA,
            output_schema={"input": {"type": "http", "method": "GET"}, "output": None},
            extra={"name": "USDC", "version": "2"},
        )],
    )


def v1_payload() -> PaymentPayloadV1:
    return PaymentPayloadV1(scheme="exact", network="base-sepolia", payload=payment_payload().payload)


def case(name, type_name, model, header_name=None, encoder=None) -> dict:
    entry = {"name": name, "type": type_name, "json": dump(model)}
    if header_name is not None:
        entry["headerName"] = header_name
        entry["headerValue"] = encoder(model)
    return entry


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def python_rejects(header: str) -> bool:
    """Whether the package's own signature-header decoder raises on this input (for the record)."""
    try:
        decode_payment_signature_header(header)
        return False
    except Exception:
        return True


def malformed_cases() -> list[dict]:
    payload = dump(payment_payload())
    missing_accepted = {key: value for key, value in payload.items() if key != "accepted"}
    missing_pay_to = json.loads(json.dumps(payload))
    del missing_pay_to["accepted"]["payTo"]
    version_three = dict(payload, x402Version=3)
    amount_as_number = json.loads(json.dumps(payload))
    amount_as_number["accepted"]["amount"] = 10000
    compact = lambda value: json.dumps(value, separators=(",", ":"))
    inline = [
        ("empty", "", "empty_header", "invalid_payload", 400),
        ("bad_base64", "%%%not*base64%%%", "invalid_base64", "invalid_payload", 400),
        ("base64_bad_length", "QUJDRUZHS", "invalid_base64", "invalid_payload", 400),
        ("base64url_alphabet", b64(compact({"k": "??>>"})).replace("+", "-").replace("/", "_"),
         "invalid_base64", "invalid_payload", 400),
        ("not_json", b64("hello, world"), "invalid_json", "invalid_payload", 400),
        ("json_array", b64("[1,2,3]"), "invalid_json", "invalid_payload", 400),
        ("missing_accepted", b64(compact(missing_accepted)), "missing_field", "invalid_payload", 400),
        ("missing_nested_pay_to", b64(compact(missing_pay_to)), "missing_field", "invalid_payload", 400),
        ("amount_as_number", b64(compact(amount_as_number)), "invalid_json", "invalid_payload", 400),
        ("x402_version_3", b64(compact(version_three)), "unsupported_x402_version", "invalid_x402_version", 400),
    ]
    cases = [
        {"name": name, "decodeAs": "PaymentPayload", "headerValue": header, "expectedReason": reason,
         "expectedErrorCode": code, "expectedHTTPStatus": status, "pythonPackageRejects": python_rejects(header)}
        for name, header, reason, code, status in inline
    ]
    cases.append({
        "name": "oversize", "decodeAs": "PaymentPayload", "headerSizeBytes": MAX_HEADER_BYTES + 1,
        "expectedReason": "header_too_large", "expectedErrorCode": "invalid_payload", "expectedHTTPStatus": 431,
    })
    return cases


def package_error_codes() -> list[str]:
    """The `ERR_*` reason strings of the generic and EVM layers, read from the package's source files.

    Parsed rather than imported because importing x402.mechanisms.evm pulls in web3.
    """
    import x402

    root = pathlib.Path(x402.__file__).parent
    codes: list[str] = []
    for relative in ("mechanisms/evm/constants.py", "server_base.py", "pending_settlement_store.py"):
        text = (root / relative).read_text(encoding="utf-8")
        for match in re.finditer(r'^\s*ERR_\w+\s*=\s*\(?\s*"([a-z0-9_]+)"', text, re.MULTILINE):
            if match.group(1) not in codes:
                codes.append(match.group(1))
    return sorted(codes)


def main() -> None:
    installed = version("x402")
    if installed != PINNED_VERSION:
        raise SystemExit(f"x402 {installed} installed; vectors are pinned to {PINNED_VERSION}")
    requirements = exact_base_sepolia()
    document = {
        "description": "x402 wire vectors produced by the official Python package; see spec/tools/gen_x402_vectors.py",
        "x402Package": installed,
        "maxHeaderBytes": MAX_HEADER_BYTES,
        "cases": [
            case("v2_payment_required", "PaymentRequired", payment_required(), PAYMENT_REQUIRED_HEADER,
                 encode_payment_required_header),
            case("v2_payment_payload_exact_evm", "PaymentPayload", payment_payload(), PAYMENT_SIGNATURE_HEADER,
                 encode_payment_signature_header),
            case("v2_settle_success", "SettleResponse", settle_success(), PAYMENT_RESPONSE_HEADER,
                 encode_payment_response_header),
            case("v2_settle_failure", "SettleResponse", settle_failure(), PAYMENT_RESPONSE_HEADER,
                 encode_payment_response_header),
            case("verify_valid", "VerifyResponse", VerifyResponse(is_valid=True, payer=PAYER)),
            case("verify_invalid", "VerifyResponse",
                 VerifyResponse(is_valid=False, invalid_reason="invalid_exact_evm_payload_signature",
                                invalid_message="signature does not recover to authorization.from", payer=PAYER)),
            case("verify_request", "VerifyRequest",
                 VerifyRequest(x402_version=2, payment_payload=payment_payload(), payment_requirements=requirements)),
            case("supported", "SupportedResponse", SupportedResponse(
                kinds=[
                    SupportedKind(x402_version=2, scheme="exact", network="eip155:84532"),
                    SupportedKind(x402_version=1, scheme="exact", network="base-sepolia"),
                    SupportedKind(x402_version=2, scheme="exact", network="solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
                                  extra={"feePayer": "2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4"}),
                ],
                extensions=["bazaar"],
                signers={"eip155:*": [PAY_TO], "solana:*": ["2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4"]},
            )),
            case("v1_payment_required", "PaymentRequiredV1", v1_required(), PAYMENT_REQUIRED_HEADER,
                 encode_payment_required_header),
            case("v1_payment_payload", "PaymentPayloadV1", v1_payload(), X_PAYMENT_HEADER,
                 encode_payment_signature_header),
            case("v1_settle_response", "SettleResponse",
                 SettleResponse(success=True, payer=PAYER, transaction=TX_HASH, network="base-sepolia"),
                 X_PAYMENT_RESPONSE_HEADER, encode_payment_response_header),
        ],
        "malformed": malformed_cases(),
        "errorCodes": package_error_codes(),
    }
    with OUTPUT.open("w", encoding="utf-8") as file:
        json.dump(document, file, indent=2, sort_keys=True)
        file.write("\n")


if __name__ == "__main__":
    main()
