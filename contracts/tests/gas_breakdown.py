"""Where one transaction's gas goes: records every charge py-evm makes while applying it and sorts them into the
parts a reader can check by hand (intrinsic, calldata, storage, memory, events, signature recovery, the token call).

Used by gas_report.py: `with Recorder(vm.state.computation_class) as recorder: gas = chain.send(...)`, then
`recorder.parts(data, gas, names)`. py-evm charges gas through GasMeter.consume_gas (with a reason string) and hands
a call's unused gas back through return_gas; each call frame makes its own meter (the computation's
_configure_gas_meter), so the recorder notes which contract every meter belongs to.
"""

import collections

from eth.vm import gas_meter as evm_gas_meter

ECRECOVER = b"\x00" * 19 + b"\x01"
CALLS = {"CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"}

# The order the parts are printed in.
PARTS = (
    "intrinsic (21,000 per transaction)",
    "calldata (4 per zero byte, 16 per other byte)",
    "storage reads (SLOAD: 2,100 cold, 100 warm)",
    "storage writes (SSTORE)",
    "transient storage (re-entrancy lock)",
    "memory expansion",
    "events (LOG)",
    "signature recovery (ecrecover precompile)",
    "keccak256",
    "call overhead (CALL base, cold account 2,600)",
    "other opcodes (ABI decoding, checks, arithmetic)",
    "storage refunds",
)


def _part(reason: str) -> str:
    if reason.startswith("Expanding memory"):
        return "memory expansion"
    if reason == "SLOAD":
        return "storage reads (SLOAD: 2,100 cold, 100 warm)"
    if "SSTORE" in reason:
        return "storage writes (SSTORE)"
    if reason in ("TLOAD", "TSTORE"):
        return "transient storage (re-entrancy lock)"
    if reason.startswith("LOG") or reason.startswith("Log topic"):
        return "events (LOG)"
    if reason.startswith("ECRecover"):
        return "signature recovery (ecrecover precompile)"
    if reason in ("SHA3", "KECCAK256") or reason.startswith("SHA3"):
        return "keccak256"
    if reason in CALLS or "implicit account load" in reason:
        return "call overhead (CALL base, cold account 2,600)"
    return "other opcodes (ABI decoding, checks, arithmetic)"


class Recorder:
    """Patches py-evm's gas meter while active; `charges` maps (contract, part) to gas, net of what calls return."""

    def __init__(self, computation_class):
        # The most derived constructor of the VM's computation class: the meter is final when it returns.
        self._maker = next(k for k in computation_class.__mro__ if "__init__" in k.__dict__)
        self.charges = collections.Counter()  # (id(meter), part) -> gas
        self._frames = {}  # id(meter) -> (contract address, id(the caller's meter) or None)
        self._latest = {}  # depth -> id(meter) of the latest frame at that depth: a new frame's caller
        self._refunds = 0
        self._meters = []

    def __enter__(self):
        recorder = self
        self._init = self._maker.__init__
        self._consume = evm_gas_meter.GasMeter.consume_gas
        self._return = evm_gas_meter.GasMeter.return_gas
        self._refund = evm_gas_meter.GasMeter.refund_gas
        original_init, consume, give_back, refund = self._init, self._consume, self._return, self._refund

        def init(computation, *args, **kwargs):
            original_init(computation, *args, **kwargs)
            meter, message = computation._gas_meter, computation.msg
            recorder._frames[id(meter)] = (message.code_address, recorder._latest.get(message.depth - 1))
            recorder._latest[message.depth] = id(meter)
            recorder._meters.append(meter)  # keeps it alive, so that its id is not reused

        def consume_gas(meter, amount, reason):
            consume(meter, amount, reason)
            recorder._charge(meter, _part(reason), amount)

        def return_gas(meter, amount):
            give_back(meter, amount)
            # Only calls hand gas back: what a callee did not use.
            recorder._charge(meter, "call overhead (CALL base, cold account 2,600)", -amount)

        def refund_gas(meter, amount):
            refund(meter, amount)
            recorder._refunds += amount

        self._maker.__init__ = init
        evm_gas_meter.GasMeter.consume_gas = consume_gas
        evm_gas_meter.GasMeter.return_gas = return_gas
        evm_gas_meter.GasMeter.refund_gas = refund_gas
        return self

    def __exit__(self, *exc):
        self._maker.__init__ = self._init
        evm_gas_meter.GasMeter.consume_gas = self._consume
        evm_gas_meter.GasMeter.return_gas = self._return
        evm_gas_meter.GasMeter.refund_gas = self._refund

    def _charge(self, meter, part: str, amount: int) -> None:
        self.charges[(id(meter), part)] += amount

    def parts(self, data: bytes, gas_used: int, names: dict) -> list:
        """[(contract name, part, gas)] of the transaction with calldata `data`, summing to its `gas_used`; a call's
        forwarded gas is moved from the caller's call overhead to the callee's own parts. `names` maps 20-byte
        addresses to names."""
        frame_gas = collections.Counter()
        for (meter, _), amount in self.charges.items():
            frame_gas[meter] += amount
        rows = collections.Counter()
        for (meter, part), amount in self.charges.items():
            address = self._frames[meter][0]
            name = "ecrecover" if address == ECRECOVER else names.get(address, "0x" + address.hex())
            rows[(name, part)] += amount
        for meter, (_, caller) in self._frames.items():
            if caller is not None:
                caller_name = names.get(self._frames[caller][0], "?")
                rows[(caller_name, "call overhead (CALL base, cold account 2,600)")] -= frame_gas[meter]
        zero = data.count(0)
        result = [("transaction", PARTS[0], 21_000),
                  ("transaction", PARTS[1], 4 * zero + 16 * (len(data) - zero))]
        result += [(name, part, gas) for (name, part), gas in rows.items() if gas]
        executed = sum(gas for _, _, gas in result)
        refund = min(self._refunds, executed // 5)
        if refund:
            result.append(("transaction", PARTS[-1], -refund))
        floor = gas_used - executed + refund
        if floor:  # EIP-7623: a transaction pays at least 10 gas per calldata token
            result.append(("transaction", "calldata floor (EIP-7623)", floor))
        order = {part: i for i, part in enumerate(PARTS)}
        result.sort(key=lambda row: (row[0] != "transaction", row[0], order.get(row[1], len(PARTS))))
        return result
