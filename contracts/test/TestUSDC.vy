# pragma version ~=0.4.3
"""
@title TestUSDC: a 6-decimal ERC-20 with EIP-3009 transferWithAuthorization, for tests only
@notice The same EIP-712 domain shape as USDC ("USDC", "2", chainId, this token) so that an x402 `exact` payment
        (an EIP-3009 authorization) can be signed against it and its gas compared with a pb-session settlement.
        The deployer may mint; there is no EIP-2612 permit.
"""

from ethereum.ercs import IERC20

implements: IERC20

SECP256K1_HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
TRANSFER_WITH_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,"
    "bytes32 nonce)"
)

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

event AuthorizationUsed:
    authorizer: indexed(address)
    nonce: indexed(bytes32)

name: public(constant(String[4])) = "USDC"
symbol: public(constant(String[4])) = "USDC"
decimals: public(constant(uint8)) = 6
version: public(constant(String[1])) = "2"

totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
# authorizer -> nonce -> used: EIP-3009 nonces are random 32-byte values, each usable once.
authorizationState: public(HashMap[address, HashMap[bytes32, bool]])
minter: public(immutable(address))
DOMAIN_SEPARATOR: public(immutable(bytes32))


@deploy
def __init__():
    minter = msg.sender
    DOMAIN_SEPARATOR = keccak256(abi_encode(DOMAIN_TYPEHASH, keccak256(name), keccak256(version), chain.id, self))


@internal
def _move(sender: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "transfer to the zero address"
    self.balanceOf[sender] -= amount  # reverts on underflow: not enough balance
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)


@external
def mint(receiver: address, amount: uint256):
    assert msg.sender == minter, "only the minter"
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._move(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    self.allowance[sender][msg.sender] -= amount  # reverts on underflow: not approved
    self._move(sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transferWithAuthorization(
    sender: address, receiver: address, amount: uint256, valid_after: uint256, valid_before: uint256,
    nonce: bytes32, v: uint8, r: bytes32, s: bytes32,
):
    """@notice EIP-3009: anyone relays a transfer the holder signed; the nonce makes it usable once."""
    assert block.timestamp > valid_after, "authorization is not yet valid"
    assert block.timestamp < valid_before, "authorization is expired"
    assert not self.authorizationState[sender][nonce], "authorization is used"
    assert (v == 27 or v == 28) and convert(s, uint256) <= SECP256K1_HALF_N, "invalid signature"
    struct_hash: bytes32 = keccak256(abi_encode(
        TRANSFER_WITH_AUTHORIZATION_TYPEHASH, sender, receiver, amount, valid_after, valid_before, nonce
    ))
    digest: bytes32 = keccak256(concat(b"\x19\x01", DOMAIN_SEPARATOR, struct_hash))
    signer: address = ecrecover(digest, v, r, s)
    assert signer != empty(address) and signer == sender, "invalid signature"
    self.authorizationState[sender][nonce] = True
    log AuthorizationUsed(authorizer=sender, nonce=nonce)
    self._move(sender, receiver, amount)
