#!/usr/bin/env python3
"""Measures the escrow's gas as real transactions: each measured step is a signed EIP-1559 transaction applied by
py-evm's Prague VM (inside titanoboa), so the figures include the 21,000 base, calldata, cold/warm access and
refunds exactly as a chain charges them.

Usage (from the repository root):
    python3 contracts/tests/gas_report.py              # Markdown tables, for docs/CONTRACTS.md and PERFORMANCE.md
    python3 contracts/tests/gas_report.py --json       # the same figures as JSON ({"steps": ..., "scenario1": ...})
    python3 contracts/tests/gas_report.py --sizes 1,10 # other batch sizes (default 1,2,10,100)

Scenario: N owners, each with 100 USDC in escrow and one grant for its own session key; one payee; the gateway's
settlement key (the payee's settler) submits all N vouchers in one validateAndRecord. "first" opens the N channels
(each channel's settled amount goes from 0 to a value, the payee's token balance too on the first batch); "repeat"
settles a higher voucher on the same channels.

Scenario 1 (the issue's goal): 1,000 calls at 0.01 U on one channel settled by one voucher of 10 U, against x402
`exact` paying each call with one EIP-3009 transferWithAuthorization of the same token on the same chain, each case
started from the same payee state; with where every unit of gas of both goes (gas_breakdown.py).
"""

import argparse
import json
import sys

import boa
import gas_breakdown
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

    def send(self, key: keys.PrivateKey, to: str | None, data: bytes, recorder=None) -> int:
        """Applies a signed transaction; with a gas_breakdown.Recorder, records where its gas goes."""
        if recorder is not None:
            with recorder:
                recorder.gas = self.send(key, to, data)
            recorder.data = data
            return recorder.gas
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
                     "gas": gas, "perVoucher": gas // size, "size": size, "phase": phase})
    if size == 1:
        # The same lone channel through the single-claim entry (no 128-claim argument in memory).
        for phase, cumulative in (("repeat", 40_000),):
            [(grant_id, key)] = grants
            claim = kit.claim(kit.voucher_message(grant_id, cumulative, cumulative // 5_000, payee=payee), key=key,
                              domain_=kit.domain(verifying_contract=escrow.address))
            gas = chain.call(settler, escrow, "validateAndRecordOne", claim)
            assert usdc.balanceOf(payee) == cumulative, "the single-claim entry did not settle"
            rows.append({"step": f"validateAndRecordOne, {phase} settle", "gas": gas, "perVoucher": gas})
    return rows


def measure(sizes: list) -> tuple:
    chain = Chain()
    admin = chain.account("deployer")
    # Unmeasured setup calls (minting, funding) come from the deployer, TestUSDC's minter.
    with boa.env.prank(admin.public_key.to_checksum_address()):
        return measure_steps(chain, admin, sizes)


def measure_steps(chain: Chain, admin: keys.PrivateKey, sizes: list) -> tuple:
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

    batched = [(row["size"], row["phase"], row["perVoucher"]) for row in rows if row.get("size", 1) > 1]
    rows.extend(x402_rows(chain, usdc))
    return rows, scenario_one(chain, escrow, usdc, batched)


def x402_payment(chain: Chain, usdc, payer_key: str, payee: str, nonce: bytes, recorder=None) -> int:
    """One x402 `exact` payment of 0.01 U: an EIP-3009 authorization the payer signed, relayed by a facilitator."""
    authorization = kit.transfer_authorization(usdc, {
        "from": kit.address_of(payer_key), "to": payee, "value": CALL_PRICE, "validAfter": 0,
        "validBefore": boa.env.timestamp + 60, "nonce": nonce}, payer_key)
    facilitator = chain.account("facilitator")
    return chain.send(facilitator, usdc.address, usdc.transferWithAuthorization.prepare_calldata(*authorization),
                      recorder)


def x402_rows(chain: Chain, usdc) -> list:
    payer_key = kit.key_for("x402 payer")
    usdc.mint(kit.address_of(payer_key), 1_000_000)
    rows = []
    for phase in ("first", "repeat"):
        gas = x402_payment(chain, usdc, payer_key, kit.PAYEE, keccak(text=phase))
        rows.append({"step": f"x402 exact: TestUSDC.transferWithAuthorization ({phase} payment to the payee)",
                     "gas": gas, "perVoucher": gas})
    return rows


# Scenario 1 of the issue: 1,000 calls at 0.01 U on one channel, settled by one voucher of 10 U.
CALLS = 1_000
CALL_PRICE = 10_000  # 0.01 U in base units (6 decimals)


def scenario_one(chain: Chain, escrow, usdc, batched: list) -> dict:
    """Gas per paid call of scenario 1 against x402 `exact` (one EIP-3009 transfer per call), each case started
    from the same payee state so that both rails do the same work: the payee ends 10 U richer. `batched` lists
    (size, phase, gas per voucher) of batch_rows: the same channel settled as one of a batch."""
    settler = chain.account("scenario 1 settler")
    seasoned = to_checksum_address(keccak(text="scenario 1 payee holding tokens")[:20])
    usdc.mint(seasoned, 1_000_000)  # a payee paid before (by any channel or rail) holds the token already

    def channel(payee: str, label: str):
        escrow.setSettler(settler.public_key.to_checksum_address(), True, sender=payee)
        owner = chain.account(f"scenario 1 owner {label}")
        owner_address = owner.public_key.to_checksum_address()
        session_key = kit.key_for(f"scenario 1 session {label}")
        kit.fund(usdc, escrow, owner_address, 50_000_000)
        message = kit.grant_message(owner_address, kit.address_of(session_key), usdc.address, payees=[payee])
        return escrow.createSessionKey(kit.as_struct(message, kit.GRANT_FIELDS), sender=owner_address), session_key

    def settle(grant_id: bytes, key: str, payee: str, calls: int, recorder=None) -> int:
        cumulative = calls * CALL_PRICE
        claim = kit.claim(kit.voucher_message(grant_id, cumulative, calls, payee=payee), key=key,
                          domain_=kit.domain(verifying_contract=escrow.address))
        before = usdc.balanceOf(payee)
        # A lone claim goes through the single-claim entry, as the Swift rail sends it.
        gas = chain.send(settler, escrow.address, escrow.validateAndRecordOne.prepare_calldata(claim), recorder)
        assert usdc.balanceOf(payee) - before == CALLS * CALL_PRICE, "the settlement did not pay 10 U"
        return gas

    fresh = to_checksum_address(keccak(text="scenario 1 payee new to the token")[:20])
    fresh_grant, fresh_key = channel(fresh, "fresh")
    settle_fresh = settle(fresh_grant, fresh_key, fresh, CALLS)
    grant_id, key = channel(seasoned, "seasoned")
    settle_recorder = gas_breakdown.Recorder(chain.vm.state.computation_class)
    settle_first = settle(grant_id, key, seasoned, CALLS, settle_recorder)
    settle_repeat = settle(grant_id, key, seasoned, 2 * CALLS)

    payer_key = kit.key_for("scenario 1 x402 payer")
    usdc.mint(kit.address_of(payer_key), 100_000_000)
    x402_fresh = x402_payment(chain, usdc, payer_key, to_checksum_address(keccak(text="x402 fresh payee")[:20]),
                              keccak(text="scenario 1 x402 fresh"))
    x402_recorder = gas_breakdown.Recorder(chain.vm.state.computation_class)
    x402_seasoned = x402_payment(chain, usdc, payer_key, seasoned, keccak(text="scenario 1 x402 seasoned"),
                                 x402_recorder)

    # x402 pays a transfer per call: 1,000 calls to a new payee are one first payment and 999 to a holder.
    cases = [
        ("first settlement of the channel, payee new to the token", settle_fresh,
         x402_fresh + (CALLS - 1) * x402_seasoned),
        ("first settlement of the channel, payee already holds the token", settle_first, CALLS * x402_seasoned),
        ("repeat settlement of the channel (calls 1,001-2,000)", settle_repeat, CALLS * x402_seasoned),
    ]
    # In batch_rows the first batch is also its payee's first token receipt.
    cases += [(f"one channel of a batch of {size}, {phase} settlement" + (", payee new to the token" if phase == "first"
               else ""), gas, x402_fresh + (CALLS - 1) * x402_seasoned if phase == "first" else CALLS * x402_seasoned)
              for size, phase, gas in batched]
    names = {bytes.fromhex(escrow.address[2:]): "SessionKeyValidator", bytes.fromhex(usdc.address[2:]): "TestUSDC"}
    return {
        "calls": CALLS,
        "x402": {"firstPaymentToPayee": x402_fresh, "paymentToHolder": x402_seasoned},
        "cases": [{
            "case": case, "settlementGas": gas, "gasPerPaidCall": gas / CALLS, "x402GasPerCall": x402 / CALLS,
            # x402 gas per call over ours: the goal is >= 1,000 (ours per call <= 1/1000 of x402's).
            "ratio": round(x402 / CALLS / (gas / CALLS)), "goalMet": gas * 1_000 <= x402,
            # The fewest calls per voucher at which the goal holds (x402's cost per call taken as above).
            "callsForGoal": -(-gas * 1_000 * CALLS // x402),
        } for case, gas, x402 in cases],
        "settlementBreakdown": settle_recorder.parts(settle_recorder.data, settle_recorder.gas, names),
        "x402Breakdown": x402_recorder.parts(x402_recorder.data, x402_recorder.gas, names),
    }


def markdown(rows: list) -> str:
    lines = ["| step | gas | gas per voucher / payment |", "|---|---:|---:|"]
    for row in rows:
        per = row.get("perVoucher")
        lines.append(f"| {row['step']} | {row['gas']:,} | {'' if per is None else f'{per:,}'} |")
    return "\n".join(lines)


def scenario_markdown(scenario: dict) -> str:
    lines = [f"| scenario 1: {scenario['calls']:,} calls at 0.01 U, one voucher | settlement gas (per voucher) "
             "| gas per paid call | x402 `exact` gas per call | ours / x402 | <= 1/1000? | calls per voucher for "
             "1/1000 |", "|---|---:|---:|---:|---:|---|---:|"]
    for row in scenario["cases"]:
        lines.append(f"| {row['case']} | {row['settlementGas']:,} | {row['gasPerPaidCall']:,.1f} "
                     f"| {row['x402GasPerCall']:,.0f} | 1/{row['ratio']:,} | {'yes' if row['goalMet'] else 'no'} "
                     f"| {row['callsForGoal']:,} |")
    for title, key in (("one lone settlement, first of its channel, payee holds the token", "settlementBreakdown"),
                       ("one x402 `exact` payment to a payee that holds the token", "x402Breakdown")):
        parts = scenario[key]
        lines += ["", f"| where the gas of {title} goes | gas |", "|---|---:|"]
        lines += [f"| {name}: {part} | {gas:,} |" for name, part, gas in parts]
        lines.append(f"| **total (the receipt's gasUsed)** | **{sum(gas for _, _, gas in parts):,}** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown tables")
    parser.add_argument("--sizes", default="1,2,10,100", help="batch sizes, comma-separated (at most 128)")
    options = parser.parse_args()
    rows, scenario = measure([int(size) for size in options.sizes.split(",")])
    if options.json:
        print(json.dumps({"steps": rows, "scenario1": scenario}, indent=2))
    else:
        print(markdown(rows) + "\n\n" + scenario_markdown(scenario))


if __name__ == "__main__":
    sys.exit(main())
