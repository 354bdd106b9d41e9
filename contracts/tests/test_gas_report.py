"""gas_report.py keeps working, and its figures show what batching is for. It runs in a child process: it applies
real transactions, which commit py-evm's journal and so would defeat the per-test snapshots of this session."""

import json
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).with_name("gas_report.py")


def test_gas_report_measures_every_step_and_batching_pays_off():
    output = subprocess.run([sys.executable, str(SCRIPT), "--json", "--sizes", "1,10"], check=True,
                            capture_output=True, text=True, timeout=120).stdout
    rows = {row["step"]: row for row in json.loads(output)}
    assert all(row["gas"] > 21_000 for row in rows.values())
    single_first = rows["validateAndRecord, 1 voucher, first settle"]["perVoucher"]
    single_repeat = rows["validateAndRecord, 1 voucher, repeat settle"]["perVoucher"]
    batch_first = rows["validateAndRecord, 10 vouchers, first settle"]["perVoucher"]
    batch_repeat = rows["validateAndRecord, 10 vouchers, repeat settle"]["perVoucher"]
    # A repeat settle writes no new storage slot; a batch shares the 21,000 base, the token call and the payout.
    assert single_repeat < single_first and batch_repeat < batch_first
    assert batch_first < single_first and batch_repeat < single_repeat
    # Batched vouchers cost less each than x402 `exact`'s one EIP-3009 transfer per payment.
    exact = rows["x402 exact: TestUSDC.transferWithAuthorization (repeat payment to the payee)"]["gas"]
    assert batch_repeat < exact
