"""The `eth_*` / `evm_*` methods of pb_devchain, mapped onto eth-tester with geth's conventions (hex quantities)."""
import rlp
from eth_account.typed_transactions import TypedTransaction
from eth_tester.exceptions import BlockNotFound, TransactionNotFound
from hexbytes import HexBytes
from eth_utils import to_checksum_address

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")


class RPCError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def as_json(self):
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    @staticmethod
    def revert(failure):
        """geth's shape for a revert: code 3, the reason in the message, the ABI-encoded Error(string) as data."""
        reason = failure.args[0] if failure.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        reason = str(reason)
        if reason in ("b''", ""):
            return RPCError(3, "execution reverted", "0x")
        encoded = reason.encode()
        padded = encoded + b"\0" * (-len(encoded) % 32)
        data = ERROR_STRING_SELECTOR + (32).to_bytes(32, "big") + len(encoded).to_bytes(32, "big") + padded
        return RPCError(3, f"execution reverted: {reason}", "0x" + data.hex())


def quantity(value):
    return hex(value)


def parse_quantity(value, name):
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RPCError(-32602, f"{name} must be a 0x-prefixed hex quantity")


def parse_data(value, name):
    if not isinstance(value, str) or not value.startswith("0x") or len(value) % 2:
        raise RPCError(-32602, f"{name} must be 0x-prefixed hex bytes")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise RPCError(-32602, f"{name} must be 0x-prefixed hex bytes") from None


def block_tag(params, index):
    tag = params[index] if len(params) > index else "latest"
    if tag in ("latest", "pending", "safe", "finalized", "earliest"):
        return "latest" if tag in ("pending", "safe", "finalized") else tag
    return parse_quantity(tag, "block")


def transaction_chain_id(raw):
    """The chain id a signed transaction commits to, or None for a pre-EIP-155 legacy transaction."""
    if raw and raw[0] < 0x80:  # typed envelope (EIP-2718): 0x01, 0x02, ...
        return TypedTransaction.from_bytes(HexBytes(raw)).as_dict().get("chainId")
    fields = rlp.decode(raw)  # [nonce, gasPrice, gas, to, value, data, v, r, s]
    if not isinstance(fields, list) or len(fields) != 9:
        raise ValueError("not a legacy transaction")
    v = int.from_bytes(fields[6], "big")
    return (v - 35) // 2 if v >= 35 else None


class Methods:
    def __init__(self, tester, chain_id):
        self.tester = tester
        self.chain_id = chain_id

    def dispatch(self, method, params):
        handler = getattr(self, method, None) if not method.startswith("_") else None
        if handler is None or method in ("dispatch",):
            raise RPCError(-32601, f"the method {method[:80]} does not exist/is not available")
        return handler(params)

    # MARK: chain

    def eth_chainId(self, params):
        return quantity(self.chain_id)

    def net_version(self, params):
        return str(self.chain_id)

    def eth_blockNumber(self, params):
        return quantity(self.tester.get_block_by_number("latest")["number"])

    def eth_gasPrice(self, params):
        block = self.tester.get_block_by_number("latest")
        return quantity(block["base_fee_per_gas"] + 10**9)

    def eth_maxPriorityFeePerGas(self, params):
        return quantity(10**9)

    def eth_getBlockByNumber(self, params):
        try:
            block = self.tester.get_block_by_number(block_tag(params, 0))
        except BlockNotFound:
            return None
        return {
            "number": quantity(block["number"]), "hash": block["hash"],
            "timestamp": quantity(block["timestamp"]), "gasLimit": quantity(block["gas_limit"]),
            "gasUsed": quantity(block["gas_used"]), "baseFeePerGas": quantity(block["base_fee_per_gas"]),
            "transactions": [t if isinstance(t, str) else t["hash"] for t in block["transactions"]],
        }

    # MARK: accounts

    def eth_getBalance(self, params):
        return quantity(self.tester.get_balance(self.address(params, 0), block_tag(params, 1)))

    def eth_getTransactionCount(self, params):
        return quantity(self.tester.get_nonce(self.address(params, 0), block_tag(params, 1)))

    def eth_getCode(self, params):
        return self.tester.get_code(self.address(params, 0), block_tag(params, 1))

    @staticmethod
    def address(params, index):
        if len(params) <= index or not isinstance(params[index], str):
            raise RPCError(-32602, f"param {index} must be an address")
        try:
            return to_checksum_address(params[index])
        except ValueError:
            raise RPCError(-32602, f"param {index} is not an address") from None

    # MARK: transactions

    def eth_sendRawTransaction(self, params):
        raw = parse_data(params[0] if params else None, "transaction")
        try:
            chain_id = transaction_chain_id(raw)
        except Exception:
            raise RPCError(-32602, "transaction is not a valid signed transaction") from None
        if chain_id != self.chain_id:
            # py-evm itself would execute it: refusing here is what makes a signature for another chain useless.
            raise RPCError(-32000, f"invalid chain id {chain_id} for this chain ({self.chain_id})")
        return self.tester.send_raw_transaction("0x" + raw.hex())

    def eth_getTransactionReceipt(self, params):
        try:
            receipt = self.tester.get_transaction_receipt(params[0])
        except TransactionNotFound:
            return None
        return {
            "transactionHash": receipt["transaction_hash"], "blockNumber": quantity(receipt["block_number"]),
            "blockHash": receipt["block_hash"], "status": quantity(receipt["status"]),
            "gasUsed": quantity(receipt["gas_used"]), "cumulativeGasUsed": quantity(receipt["cumulative_gas_used"]),
            "effectiveGasPrice": quantity(receipt.get("effective_gas_price") or 0),
            "contractAddress": receipt["contract_address"],
            "from": receipt.get("from"), "to": receipt.get("to"),
            "logs": [self.log(entry) for entry in receipt["logs"]],
        }

    @staticmethod
    def log(entry):
        return {
            "address": entry["address"], "topics": list(entry["topics"]), "data": entry["data"],
            "logIndex": quantity(entry["log_index"]), "blockNumber": quantity(entry["block_number"]),
            "transactionHash": entry["transaction_hash"],
        }

    def call_object(self, params):
        if not params or not isinstance(params[0], dict):
            raise RPCError(-32602, "param 0 must be a call object")
        source = params[0]
        call = {}
        for key in ("from", "to"):
            if source.get(key):
                call[key] = to_checksum_address(source[key])
        call["data"] = source.get("data") or source.get("input") or "0x"
        parse_data(call["data"], "data")
        for key in ("gas", "value"):
            if key in source:
                call[key] = parse_quantity(source[key], key)
        if "from" not in call:
            call["from"] = self.tester.get_accounts()[0]
        return call

    def eth_call(self, params):
        return self.tester.call(self.call_object(params), block_tag(params, 1))

    def eth_estimateGas(self, params):
        return quantity(self.tester.estimate_gas(self.call_object(params)))

    # MARK: test controls

    def evm_increaseTime(self, params):
        seconds = params[0] if params else None
        if isinstance(seconds, str):
            seconds = parse_quantity(seconds, "seconds")
        if not isinstance(seconds, int) or seconds < 0:
            raise RPCError(-32602, "seconds must be a non-negative number")
        timestamp = self.tester.get_block_by_number("pending")["timestamp"] + seconds
        self.tester.time_travel(timestamp)
        return quantity(timestamp)

    def evm_mine(self, params):
        self.tester.mine_blocks(1)
        return "0x0"
