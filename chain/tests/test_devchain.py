"""pb_devchain over a real socket: what the Swift EVM rail relies on (chain id, nonces, receipts, reverts, time)."""
import json
import pathlib
import subprocess
import sys
import urllib.request

import pytest
from eth_account import Account

CHAIN = pathlib.Path(__file__).resolve().parent.parent
CHAIN_ID = 31337
# Well-known test key (eth-tester's first account is the faucet, this one is ours and funded with --fund).
SENDER = Account.from_key("0x" + "11" * 32)
# Init code deploying a runtime that returns CHAINID: 66 <465f5260205ff3> 5f 52 6007 6019 f3.
RETURNS_CHAIN_ID = "0x66465f5260205ff35f5260076019f3"


def reverting_code(reason):
    """Init code that reverts with Error(string) `reason`: the payload written to memory word by word, then REVERT."""
    text = reason.encode()
    payload = (bytes.fromhex("08c379a0") + (32).to_bytes(32, "big") + len(text).to_bytes(32, "big")
               + text + b"\0" * (-len(text) % 32))
    padded = payload + b"\0" * (-len(payload) % 32)
    code = b""
    for offset in range(0, len(padded), 32):
        code += b"\x7f" + padded[offset:offset + 32] + b"\x60" + bytes([offset]) + b"\x52"  # PUSH32 w, PUSH1 o, MSTORE
    code += b"\x60" + bytes([len(payload)]) + b"\x5f\xfd"  # PUSH1 size, PUSH0, REVERT
    return "0x" + code.hex()


REVERT_NO = reverting_code("no")


@pytest.fixture(scope="module")
def chain():
    process = subprocess.Popen(
        [sys.executable, str(CHAIN / "pb_devchain.py"), "--port", "0", "--chain-id", str(CHAIN_ID),
         "--fund", f"{SENDER.address}=5000000000000000000"],
        stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("pb-devchain listening on "), line
        url = line.split()[3]
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def rpc(url, method, *params):
    reply = post(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    return reply


def post(url, document, raw=None):
    data = raw if raw is not None else json.dumps(document).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def result(url, method, *params):
    reply = rpc(url, method, *params)
    assert "error" not in reply, reply
    return reply["result"]


def send(url, transaction, key=SENDER):
    signed = key.sign_transaction(transaction)
    return rpc(url, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())


def eip1559(url, **fields):
    nonce = int(result(url, "eth_getTransactionCount", SENDER.address, "latest"), 16)
    return {"type": 2, "chainId": CHAIN_ID, "nonce": nonce, "maxFeePerGas": 3 * 10**9,
            "maxPriorityFeePerGas": 10**9, "gas": 200_000, "value": 0, **fields}


def test_identity_and_funding(chain):
    assert result(chain, "eth_chainId") == hex(CHAIN_ID)
    assert result(chain, "net_version") == str(CHAIN_ID)
    assert int(result(chain, "eth_getBalance", SENDER.address, "latest"), 16) == 5 * 10**18
    assert int(result(chain, "eth_maxPriorityFeePerGas"), 16) == 10**9


def test_deploy_call_and_receipt(chain):
    before = int(result(chain, "eth_getTransactionCount", SENDER.address, "latest"), 16)
    reply = send(chain, eip1559(chain, data=RETURNS_CHAIN_ID))
    receipt = result(chain, "eth_getTransactionReceipt", reply["result"])
    assert receipt["status"] == "0x1"
    assert int(result(chain, "eth_getTransactionCount", SENDER.address, "latest"), 16) == before + 1
    # The EVM's CHAINID is the configured one, so EIP-712 domains checked on chain agree with the signers.
    assert int(result(chain, "eth_call", {"to": receipt["contractAddress"]}, "latest"), 16) == CHAIN_ID
    assert int(result(chain, "eth_estimateGas", {"from": SENDER.address, "data": RETURNS_CHAIN_ID}), 16) > 21_000


def test_a_transaction_for_another_chain_is_refused_and_not_mined(chain):
    before = result(chain, "eth_getTransactionCount", SENDER.address, "latest")
    reply = send(chain, {**eip1559(chain, data=RETURNS_CHAIN_ID), "chainId": 1})
    assert reply["error"]["code"] == -32000
    assert "invalid chain id 1" in reply["error"]["message"]
    assert result(chain, "eth_getTransactionCount", SENDER.address, "latest") == before
    nonce = int(before, 16)
    legacy = {"nonce": nonce, "gasPrice": 3 * 10**9, "gas": 200_000, "value": 0, "data": RETURNS_CHAIN_ID}
    assert "invalid chain id None" in send(chain, legacy)["error"]["message"], "a pre-EIP-155 signature"
    assert "result" in send(chain, {**legacy, "chainId": CHAIN_ID}), "a legacy EIP-155 transaction for this chain"


def test_reverts_have_geths_shape(chain):
    reply = rpc(chain, "eth_call", {"from": SENDER.address, "data": REVERT_NO}, "latest")
    assert reply["error"]["code"] == 3
    assert reply["error"]["message"] == "execution reverted: no"
    assert reply["error"]["data"].startswith("0x08c379a0")
    # A reverting transaction is still mined, with status 0 (the rail must read the receipt, not trust the hash).
    mined = send(chain, eip1559(chain, data=REVERT_NO))
    assert result(chain, "eth_getTransactionReceipt", mined["result"])["status"] == "0x0"


def test_time_travel_moves_block_time(chain):
    before = int(result(chain, "eth_getBlockByNumber", "latest", False)["timestamp"], 16)
    result(chain, "evm_increaseTime", 3600)
    result(chain, "evm_mine")
    after = int(result(chain, "eth_getBlockByNumber", "latest", False)["timestamp"], 16)
    assert after >= before + 3600


def test_bad_requests_get_json_rpc_errors(chain):
    assert rpc(chain, "eth_noSuchMethod")["error"]["code"] == -32601
    assert rpc(chain, "eth_getBalance", "not an address", "latest")["error"]["code"] == -32602
    assert rpc(chain, "eth_sendRawTransaction", "0x1234")["error"]["code"] == -32602
    assert post(chain, None, raw=b"{not json")["error"]["code"] == -32700
    batch = post(chain, [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_nope", "params": []},
    ])
    assert batch[0]["result"] == hex(CHAIN_ID) and batch[1]["error"]["code"] == -32601
    # The server survived all of it.
    assert result(chain, "eth_chainId") == hex(CHAIN_ID)
