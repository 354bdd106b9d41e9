"""gas_report.py keeps working, its figures show what batching and reserved grants are for, and its scenario-1
comparison adds up. It runs in a child process: it applies real transactions, which commit py-evm's journal and so
would defeat the per-test snapshots of this session."""

import json
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).with_name("gas_report.py")


def test_gas_report_measures_every_step_and_batching_pays_off():
    output = json.loads(subprocess.run([sys.executable, str(SCRIPT), "--json", "--sizes", "1,10"], check=True,
                                       capture_output=True, text=True, timeout=180).stdout)
    rows = {row["step"]: row for row in output["steps"]}
    assert all(row["gas"] > 21_000 for row in rows.values())
    single_first = rows["validateAndRecord, 1 voucher, first settle"]["perVoucher"]
    single_repeat = rows["validateAndRecord, 1 voucher, repeat settle"]["perVoucher"]
    batch_first = rows["validateAndRecord, 10 vouchers, first settle"]["perVoucher"]
    batch_repeat = rows["validateAndRecord, 10 vouchers, repeat settle"]["perVoucher"]
    # A first settle also pays the payee's first token balance; a batch shares the 21,000 base, the token call and
    # the payout.
    assert single_repeat < single_first and batch_repeat < batch_first
    assert batch_first < single_first and batch_repeat < single_repeat
    # The single-claim entry skips the 128-claim argument's memory: a lone repeat settle costs ~8k gas less.
    assert rows["validateAndRecordOne, repeat settle"]["gas"] < single_repeat - 7_000
    # Batched vouchers cost less each than x402 `exact`'s one EIP-3009 transfer per payment.
    exact = rows["x402 exact: TestUSDC.transferWithAuthorization (repeat payment to the payee)"]["gas"]
    assert batch_repeat < exact

    # A reserved grant's settlement leaves the owner's pool alone: no cold read and no write of escrowBalance, ~5k
    # less, in a batch as alone.
    reserved_one = rows["validateAndRecordOne (reserved grants), repeat settle"]["gas"]
    assert reserved_one < rows["validateAndRecordOne, repeat settle"]["gas"] - 4_500
    assert (rows["validateAndRecord, 10 vouchers (reserved grants), repeat settle"]["perVoucher"]
            < batch_repeat - 4_500)
    assert {"reserveGrant", "releaseGrant (after the grant's end, by anyone)"} <= rows.keys()

    scenario = output["scenario1"]
    cases = {case["id"]: case for case in scenario["cases"]}
    fresh, first, repeat = (cases[f"pooled lone {kind}"] for kind in ("first new payee", "first holder", "repeat"))
    # A one-payee grant keeps its channel in the grant's own slots: opening the channel writes no new slot, so the
    # first settlement costs what a repeat does (calldata aside) once the payee holds the token.
    assert abs(first["settlementGas"] - repeat["settlementGas"]) < 200
    # The payee's first token balance is a new slot for both rails: 20,000 gas more, once.
    assert fresh["settlementGas"] - first["settlementGas"] > 15_000
    for case in scenario["cases"]:
        assert case["gasPerPaidCall"] == case["settlementGas"] / scenario["calls"]
        # The goal: gas per paid call at most 1/1000 of x402's.
        assert case["goalMet"] == (case["gasPerPaidCall"] * 1_000 <= case["x402GasPerCall"])
        assert case["goalMet"] == (case["callsForGoal"] <= scenario["calls"])
    # A channel settled in a batch of ten meets the goal: the batch shares the base cost and the token transfer.
    batches = [case for case_id, case in cases.items() if " batch " in case_id]
    assert len(batches) == 4 and all(case["goalMet"] for case in batches)

    # Scenario 1 taken literally, one lone channel of 1,000 calls to a payee that holds the token, meets the goal
    # when the grant is reserved: its gas per paid call is at most 1/1000 of one x402 `exact` payment's gas.
    reserved_first = cases["reserved lone first holder"]
    x402_exact = scenario["x402"]["paymentToHolder"]
    assert reserved_first["settlementGas"] / scenario["calls"] <= x402_exact / 1_000
    assert reserved_first["goalMet"] and cases["reserved lone repeat"]["goalMet"]
    # ... and it is the pooled settlement without the pool's cold read (2,100) and write (2,900), and the slot's
    # keccaks and the balance check around them.
    assert first["settlementGas"] - 6_000 < reserved_first["settlementGas"] < first["settlementGas"] - 5_000
    assert cases["reserved lone first new payee"]["settlementGas"] < fresh["settlementGas"]

    # The breakdowns account for every unit of gas of the receipts they explain.
    assert sum(gas for _, _, gas in scenario["settlementBreakdown"]) == first["settlementGas"]
    assert sum(gas for _, _, gas in scenario["reservedSettlementBreakdown"]) == reserved_first["settlementGas"]
    assert sum(gas for _, _, gas in scenario["x402Breakdown"]) == scenario["x402"]["paymentToHolder"]
