#!/usr/bin/env python3
"""A local EVM chain behind a JSON-RPC server on loopback, for the EVM rail's tests and demos.

py-evm (through eth-tester) executes the transactions; this file only speaks JSON-RPC over HTTP. Nothing on PyPI
does this any more (eth-tester-rpc is dead), hence this small server. What it adds on top of eth-tester:

- a real chain id: py-evm's tester chain hard-codes one and does not check a transaction's chain id, so the
  server sets the EVM's CHAINID and refuses signed transactions for any other chain (replay protection, EIP-155);
- geth's error shapes: a revert is `{"code": 3, "message": "execution reverted: ...", "data": "0x..."}`, unknown
  methods are -32601, bad parameters -32602, and every exception is caught per request;
- TCP_NODELAY on every connection: without it each small response waits ~40 ms for delayed ACKs;
- `evm_increaseTime` / `evm_mine` for expiry tests, and `--fund` to give addresses ether at start.

Transactions are mined at once, one block each. Usage:

    python3 chain/pb_devchain.py --port 8545 --chain-id 31337 --fund 0xAddress=1000000000000000000000

It prints one line `pb-devchain listening on http://HOST:PORT chainId=N` (flushed) when ready.
"""
import argparse
import json
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_utils import to_checksum_address

from pb_devchain_methods import RPCError, Methods

# Bounds: a request body above this is refused before it is read; a batch above this many calls is refused.
MAXIMUM_BODY_BYTES = 4 << 20
MAXIMUM_BATCH_CALLS = 256


class Chain:
    """eth-tester with our chain id; every call holds one lock, since py-evm is not thread-safe."""

    def __init__(self, chain_id, funded):
        backend = PyEVMBackend()
        # py-evm's tester chain class hard-codes its id; the instance attribute is what the VM's CHAINID reads.
        backend.chain.chain_id = chain_id
        self.tester = EthereumTester(backend)
        self.chain_id = chain_id
        self.lock = threading.Lock()
        self.methods = Methods(self.tester, chain_id)
        faucet = self.tester.get_accounts()[0]
        for address, wei in funded:
            self.tester.send_transaction({
                "from": faucet, "to": to_checksum_address(address), "value": wei, "gas": 21000,
            })

    def handle(self, call):
        """One JSON-RPC call (already parsed) -> its response object."""
        call_id = call.get("id") if isinstance(call, dict) else None
        try:
            if not isinstance(call, dict) or call.get("jsonrpc") != "2.0" or not isinstance(call.get("method"), str):
                raise RPCError(-32600, "invalid request: expected {jsonrpc: '2.0', method, params, id}")
            params = call.get("params", [])
            if not isinstance(params, list):
                raise RPCError(-32602, "params must be an array")
            with self.lock:
                result = self.methods.dispatch(call["method"], params)
            return {"jsonrpc": "2.0", "id": call_id, "result": result}
        except RPCError as error:
            return {"jsonrpc": "2.0", "id": call_id, "error": error.as_json()}
        except TransactionFailed as failure:
            return {"jsonrpc": "2.0", "id": call_id, "error": RPCError.revert(failure).as_json()}
        except Exception as error:  # one bad request must never take the server down
            message = f"{type(error).__name__}: {error}"[:300]
            return {"jsonrpc": "2.0", "id": call_id, "error": {"code": -32000, "message": message}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection
    chain = None

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # quiet: tests read stdout
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAXIMUM_BODY_BYTES:
            return self.reply(413 if length > 0 else 411, {"jsonrpc": "2.0", "id": None, "error": {
                "code": -32600, "message": f"request body must be 1..{MAXIMUM_BODY_BYTES} bytes"}})
        body = self.rfile.read(length)
        try:
            request = json.loads(body)
        except ValueError:
            return self.reply(200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        if isinstance(request, list):
            if not request or len(request) > MAXIMUM_BATCH_CALLS:
                return self.reply(200, {"jsonrpc": "2.0", "id": None, "error": {
                    "code": -32600, "message": f"a batch holds 1..{MAXIMUM_BATCH_CALLS} calls"}})
            return self.reply(200, [self.chain.handle(call) for call in request])
        return self.reply(200, self.chain.handle(request))

    def reply(self, status, document):
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def parse_fund(text):
    address, _, wei = text.partition("=")
    return address, int(wei) if wei else 10**24


def main(arguments=None):
    parser = argparse.ArgumentParser(description="Local EVM JSON-RPC server (py-evm via eth-tester).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8545, help="0 picks a free port")
    parser.add_argument("--chain-id", type=int, default=31337)
    parser.add_argument("--fund", action="append", default=[], type=parse_fund, metavar="ADDRESS[=WEI]",
                        help="give ADDRESS WEI (default 1,000,000 ether) at start; repeatable")
    options = parser.parse_args(arguments)
    # A parent that ignores SIGTERM (service runners often do) passes that on through exec: restore the default
    # meaning, so `terminate()` from a test or a supervisor stops the chain.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Handler.chain = Chain(options.chain_id, options.fund)
    server = ThreadingHTTPServer((options.host, options.port), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"pb-devchain listening on http://{host}:{port} chainId={options.chain_id}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
