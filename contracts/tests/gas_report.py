#!/usr/bin/env python3
"""Measures the escrow's gas as real transactions: each measured step is a signed EIP-1559 transaction applied by
py-evm's Prague VM (inside titanoboa), so the figures include the 21,000 base, calldata, cold/warm access and
refunds exactly as a chain charges them.

Usage (from the repository root):
    python3 contracts/tests/gas_report.py              # a Markdown table, for docs/CONTRACTS.md and PERFORMANCE.md
    python3 contracts/tests/gas_report.py --json       # the same figures as JSON
    python3 contracts/tests/gas_report.py --sizes 1,10 # other batch sizes (default 1,10,100)

Scenario: N owners, each with 100 USDC in escrow and one grant for its own session key; one payee; the gateway's
settlement key (the payee's settler) submits all N vouchers in one validateAndRecord. "first" opens the N channels
(each channel's settled amount goes from 0 to a value, the payee's token balance too on the first batch); "repeat"
settles a higher voucher on the same channels.
"""

import argparse
import json
import sys

import boa
from eth._utils.address import generate_contract_address
from eth_abi import encode as abi_encode
from eth_keys import keys
from eth_utils import keccak, to_checksum_address

import escrow_kit as kit

START_TIME = 1_764_000_100


class Chain:
    """Sends signed transactions through titanoboa's py-evm VM and returns their receipts' gasUsed."""

    def __init__(self):
        boa.env.evm.patch.chain_id = kit.CHAIN_ID
        boa.env.timestamp = START_TIME
        self.vm = boa.env.evm.vm

    def account(self, label: str) -> keys.PrivateKey:
        key = keys.PrivateKey(bytes.fromhex(kit.key_for(label)[2:]))
        boa.env.set_balance(key.public_key.to_checksum_address(), 10**21)
        return key

    def send(self, key: keys.PrivateKey, to: str | None, data: bytes) -> int:
        sender = key.public_key.to_canonical_address()
        unsigned = self.vm.get_transaction_builder().new_unsigned_dynamic_fee_transaction(
            chain_id=kit.CHAIN_ID, nonce=self.vm.state.get_nonce(sender), max_priority_fee_per_gas=1,
            max_fee_per_gas=10**10, gas=29_000_000, to=bytes.fromhex(to[2:]) if to else b"", value=0, data=data,
            access_list=(),
        )
        receipt, computation = self.vm.apply_transaction(self.vm.get_header(), unsigned.as_signed_transaction(key))
        if computation.is_error:
            raise RuntimeError(f"transaction failed: {computation.error!r}")
        return receipt.gas_used

    def call(self, key: keys.PrivateKey, contract, function: str, *args) -> int:
        return self.send(key, contract.address, getattr(contract, function).prepare_calldata(*args))

    def deploy(self, key: keys.PrivateKey, name: str, types: list, args: list):
        """Deploys as a creation transaction; returns (gas used, the contract)."""
        deployer = kit.deployer(name)
        nonce = self.vm.state.get_nonce(key.public_key.to_canonical_address())
        gas = self.send(key, None, deployer.compiler_data.bytecode + abi_encode(types, args))
        address = generate_contract_address(key.public_key.to_canonical_address(), nonce)
        return gas, deployer.at(to_checksum_address(address))


def batch_rows(chain: Chain, escrow, usdc, size: int) -> list:
    """First and repeat settlement of `size` channels in one batch."""
    settler = chain.account(f"settler {size}")
    payee = to_checksum_address(keccak(text=f"payee {size}")[:20])
    escrow.setSettler(settler.public_key.to_checksum_address(), True, sender=payee)
    grants = []
    for i in range(size):
        owner = chain.account(f"owner {size} {i}")
        owner_address = owner.public_key.to_checksum_address()
        session_key = kit.key_for(f"session {size} {i}")
        kit.fund(usdc, escrow, owner_address, 100_000_000)
        message = kit.grant_message(owner_address, kit.address_of(session_key), usdc.address, payees=[payee])
        grants.append((escrow.createSessionKey(kit.as_struct(message, kit.GRANT_FIELDS), sender=owner_address),
                       session_key))
    rows = []
    for phase, cumulative in (("first", 10_000), ("repeat", 25_000)):
        claims = [kit.claim(kit.voucher_message(grant_id, cumulative, cumulative // 5_000, payee=payee), key=key,
                            domain_=kit.domain(verifying_contract=escrow.address))
                  for grant_id, key in grants]
        gas = chain.call(settler, escrow, "validateAndRecord", claims)
        assert usdc.balanceOf(payee) == cumulative * size, "the batch did not settle every voucher"
        rows.append({"step": f"validateAndRecord, {size} voucher{'s' * (size > 1)}, {phase} settle",
                     "gas": gas, "perVoucher": gas // size})
    return rows


def measure(sizes: list) -> list:
    chain = Chain()
    admin = chain.account("deployer")
    # Unmeasured setup calls (minting, funding) come from the deployer, TestUSDC's minter.
    with boa.env.prank(admin.public_key.to_checksum_address()):
        return measure_steps(chain, admin, sizes)


def measure_steps(chain: Chain, admin: keys.PrivateKey, sizes: list) -> list:
    escrow_gas, escrow = chain.deploy(admin, "SessionKeyValidator", ["uint256"], [kit.SETTLEMENT_PERIOD])
    usdc_gas, usdc = chain.deploy(admin, "test/TestUSDC", [], [])
    rows = [{"step": "deploy SessionKeyValidator", "gas": escrow_gas},
            {"step": "deploy TestUSDC (reference)", "gas": usdc_gas}]

    owner = chain.account("owner")
    owner_address = owner.public_key.to_checksum_address()
    usdc.mint(owner_address, 200_000_000)
    usdc.approve(escrow.address, 200_000_000, sender=owner_address)
    rows.append({"step": "deposit (first, 100 USDC)", "gas": chain.call(owner, escrow, "deposit", usdc.address,
                                                                          100_000_000)})
    message = kit.grant_message(owner_address, kit.address_of(kit.SESSION_KEY), usdc.address)
    rows.append({"step": "createSessionKey (1 payee, 1 service)",
                 "gas": chain.call(owner, escrow, "createSessionKey", kit.as_struct(message, kit.GRANT_FIELDS))})
    signed = dict(message, salt=b"\x01" * 32)
    signature = kit.sign(kit.typed_data("SessionGrant", kit.domain(verifying_contract=escrow.address), signed),
                         kit.key_for("owner"))
    rows.append({"step": "registerSessionGrant (owner-signed, 1 payee, 1 service)",
                 "gas": chain.call(admin, escrow, "registerSessionGrant", kit.as_struct(signed, kit.GRANT_FIELDS),
                                   signature)})
    grant_id = escrow.grantDigest(kit.as_struct(message, kit.GRANT_FIELDS))
    rows.append({"step": "freezeSessionKey", "gas": chain.call(owner, escrow, "freezeSessionKey", grant_id)})
    rows.append({"step": "requestWithdraw", "gas": chain.call(owner, escrow, "requestWithdraw", usdc.address,
                                                               50_000_000)})
    boa.env.timestamp += kit.SETTLEMENT_PERIOD
    rows.append({"step": "executeWithdraw", "gas": chain.call(owner, escrow, "executeWithdraw", usdc.address)})

    for size in sizes:
        rows.extend(batch_rows(chain, escrow, usdc, size))

    # x402 `exact` for comparison: one EIP-3009 authorization settled per payment, relayed by a facilitator.
    relayer = chain.account("facilitator")
    holder_key = kit.key_for("x402 payer")
    holder = kit.address_of(holder_key)
    usdc.mint(holder, 1_000_000)
    for phase in ("first", "repeat"):
        authorization = kit.transfer_authorization(usdc, {
            "from": holder, "to": kit.PAYEE, "value": 10_000, "validAfter": 0, "validBefore": boa.env.timestamp + 60,
            "nonce": keccak(text=phase)}, holder_key)
        gas = chain.call(relayer, usdc, "transferWithAuthorization", *authorization)
        rows.append({"step": f"x402 exact: TestUSDC.transferWithAuthorization ({phase} payment to the payee)",
                     "gas": gas, "perVoucher": gas})
    return rows


def markdown(rows: list) -> str:
    lines = ["| step | gas | gas per voucher / payment |", "|---|---:|---:|"]
    for row in rows:
        per = row.get("perVoucher")
        lines.append(f"| {row['step']} | {row['gas']:,} | {'' if per is None else f'{per:,}'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    parser.add_argument("--sizes", default="1,10,100", help="batch sizes, comma-separated (at most 128)")
    options = parser.parse_args()
    rows = measure([int(size) for size in options.sizes.split(",")])
    print(json.dumps(rows, indent=2) if options.json else markdown(rows))


if __name__ == "__main__":
    sys.exit(main())
