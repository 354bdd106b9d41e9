# pragma version ~=0.4.3
"""
@title PB-Stream session-key escrow (SessionKeyValidator)
@notice Owners deposit an ERC-20 here, grant session keys a budget (the EIP-712 `SessionGrant` of docs/PROTOCOL.md,
        section 4) and payees settle the keys' cumulative `PaymentVoucher`s (section 5) in batches.
@dev docs/CONTRACTS.md has the state machine, the batch failure policy and the security notes.
     Every signature is checked under the domain ("PB-Stream", "1", chain.id, this contract), so a grant or voucher
     signed for another chain or another deployment recovers to a different address and is refused.
"""

from ethereum.ercs import IERC20

# Bounds shared with the gateway's strict reader (Sources/PBProtocol/Session/MessageReader.swift): a grant the
# gateway accepts always fits here.
MAX_LIST: constant(uint256) = 64
MAX_STRING: constant(uint256) = 128
# A gateway batches ~100 channels per settlement; 128 keeps the worst batch far below a block's gas limit.
MAX_BATCH: constant(uint256) = 128

# EIP-2: s must be in the lower half of the curve order so that every signature has one encoding.
# n / 2 (a hex literal of 32 bytes would be a bytes32 in Vyper)
SECP256K1_HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
NAME_HASH: constant(bytes32) = keccak256("PB-Stream")
VERSION_HASH: constant(bytes32) = keccak256("1")
GRANT_TYPEHASH: constant(bytes32) = keccak256(
    "SessionGrant(address owner,address sessionKey,address asset,address[] payees,string[] services,"
    "uint128 totalLimit,uint128 perPaymentLimit,uint128 periodLimit,uint64 periodSeconds,"
    "uint32 maxCallsPerMinute,uint64 validAfter,uint64 validUntil,bytes32 salt)"
)
VOUCHER_TYPEHASH: constant(bytes32) = keccak256(
    "PaymentVoucher(bytes32 grantId,address payee,uint128 cumulativeAmount,uint64 sequence,"
    "bytes32 requestBinding,uint64 validUntil)"
)

# Why a claim in a batch was skipped (VoucherRejected.reason, and the result list of validateAndRecord).
# The checks run in this order; the first that fails names the reason.
SETTLED: constant(uint8) = 0
GRANT_UNKNOWN: constant(uint8) = 1
NOT_SETTLER: constant(uint8) = 2
NOT_YET_VALID: constant(uint8) = 3
EXPIRED: constant(uint8) = 4
FROZEN: constant(uint8) = 5
PAYEE_NOT_ALLOWED: constant(uint8) = 6
SIGNATURE_MALFORMED: constant(uint8) = 7
SIGNATURE_INVALID: constant(uint8) = 8
NOTHING_TO_SETTLE: constant(uint8) = 9
OVER_LIMIT: constant(uint8) = 10
INSUFFICIENT_ESCROW: constant(uint8) = 11

# A grant's flags, packed into the top byte of `_grant_owner` (see the storage layout below).
FLAG_FROZEN: constant(uint256) = 1
FLAG_ANY_PAYEE: constant(uint256) = 2
# The grant names exactly one payee: its only channel's paid amount is the grant's `spent`, so it needs no slot.
FLAG_ONE_PAYEE: constant(uint256) = 4
# validAfter or validUntil needs more than 44 bits; the exact values are in `_grant_times` (read by getGrant only).
FLAG_WIDE_TIMES: constant(uint256) = 8
# The grant holds its own funds (reserveGrant): exactly totalLimit - spent of its asset, kept outside the owner's
# pooled `escrowBalance`, so its settlements neither read nor write the pool.
FLAG_RESERVED: constant(uint256) = 16
MASK_160: constant(uint256) = (1 << 160) - 1
MASK_128: constant(uint256) = (1 << 128) - 1
MASK_96: constant(uint256) = (1 << 96) - 1
MASK_64: constant(uint256) = (1 << 64) - 1
# 2**44 - 1 seconds is the year 559,444: any block timestamp is below it, so a time saturated at this value
# compares with block.timestamp exactly as the full uint64 does.
MAX_TIME_44: constant(uint256) = (1 << 44) - 1

# The settlement period must leave a payee real time to react, and must not lock an owner's funds for years.
MIN_SETTLEMENT_PERIOD: constant(uint256) = 3600
MAX_SETTLEMENT_PERIOD: constant(uint256) = 365 * 86400


# The owner-signed grant, field for field and in the order of PROTOCOL.md section 4 (the type string above).
struct SessionGrant:
    owner: address
    sessionKey: address
    asset: address
    payees: DynArray[address, MAX_LIST]
    services: DynArray[String[MAX_STRING], MAX_LIST]
    totalLimit: uint128
    perPaymentLimit: uint128
    periodLimit: uint128
    periodSeconds: uint64
    maxCallsPerMinute: uint32
    validAfter: uint64
    validUntil: uint64
    salt: bytes32

# The session-key-signed voucher of PROTOCOL.md section 5.
struct PaymentVoucher:
    grantId: bytes32
    payee: address
    cumulativeAmount: uint128
    sequence: uint64
    requestBinding: bytes32
    validUntil: uint64

# One entry of a settlement batch: a voucher, its signature split as (v, r, s) (static fields decode cheaper than
# 65 bytes) and the payee's charged total. The escrow pays min(charged, cumulativeAmount) - alreadySettled, as
# PROTOCOL.md section 5 says, so an unused credit-window remainder stays with the owner.
struct Claim:
    voucher: PaymentVoucher
    v: uint8
    r: bytes32
    s: bytes32
    chargedCumulativeAmount: uint128

# What the escrow keeps of a grant (returned by getGrant; stored packed, see below).
struct GrantState:
    owner: address
    sessionKey: address
    asset: address
    totalLimit: uint128
    spent: uint128
    validAfter: uint64
    validUntil: uint64
    frozen: bool
    anyPayee: bool

struct PendingWithdrawal:
    amount: uint256
    readyAt: uint256

struct Payout:
    token: address
    payee: address
    amount: uint256


event Deposited:
    owner: indexed(address)
    token: indexed(address)
    amount: uint256

event SessionKeyCreated:
    grantId: indexed(bytes32)
    owner: indexed(address)
    sessionKey: indexed(address)
    asset: address
    totalLimit: uint128
    validAfter: uint64
    validUntil: uint64
    ownerSigned: bool

event SessionKeyFrozen:
    grantId: indexed(bytes32)
    by: indexed(address)

event SessionKeyUnfrozen:
    grantId: indexed(bytes32)

event GuardianSet:
    owner: indexed(address)
    guardian: indexed(address)
    enabled: bool

event SettlerSet:
    payee: indexed(address)
    settler: indexed(address)
    enabled: bool

event VoucherSettled:
    grantId: indexed(bytes32)
    payee: indexed(address)
    sequence: uint64
    settledCumulativeAmount: uint128
    paid: uint128

event VoucherRejected:
    grantId: indexed(bytes32)
    payee: indexed(address)
    sequence: uint64
    reason: uint8

event WithdrawRequested:
    owner: indexed(address)
    token: indexed(address)
    amount: uint256
    readyAt: uint256

event WithdrawCancelled:
    owner: indexed(address)
    token: indexed(address)

event Withdrawn:
    owner: indexed(address)
    token: indexed(address)
    amount: uint256

event GrantReserved:
    grantId: indexed(bytes32)
    owner: indexed(address)
    asset: address
    amount: uint256

event GrantReleased:
    grantId: indexed(bytes32)
    owner: indexed(address)
    asset: address
    amount: uint256


# How long a payee always has to settle: between a withdraw request and its execution, and after a grant's
# validUntil. One number, so a gateway knows its settlement deadline without reading each grant.
settlementPeriod: public(immutable(uint256))

# owner -> token -> unspent pooled escrow (pending withdrawals included: they stay payable until executed). What a
# reserved grant holds is not in here: see FLAG_RESERVED, reserveGrant and reservedAmount.
escrowBalance: public(HashMap[address, HashMap[address, uint256]])
pendingWithdrawal: public(HashMap[address, HashMap[address, PendingWithdrawal]])
# owner -> guardian (e.g. the gateway's Sentinel) -> may freeze the owner's session keys.
isGuardian: public(HashMap[address, HashMap[address, bool]])
# payee -> settler (e.g. the gateway's settlement account) -> may submit the payee's claims.
isSettler: public(HashMap[address, HashMap[address, bool]])

# A grant, packed by hand into the four slots a settlement reads (Vyper gives each struct member a slot of its own;
# each cold slot costs 2,100 gas per voucher):
#   _grant_owner   = owner | validAfter44 << 160 | validUntil44 << 204 | flags << 248   (owner == 0: no such grant)
#   _grant_key     = sessionKey | (payee >> 64) << 160
#   _grant_asset   = asset | (payee & MASK_64) << 160
#   _grant_amounts = totalLimit | spent << 128
# flags: FLAG_FROZEN 1, FLAG_ANY_PAYEE 2, FLAG_ONE_PAYEE 4, FLAG_WIDE_TIMES 8, FLAG_RESERVED 16.
# `payee` is the grant's only payee when FLAG_ONE_PAYEE is set (zero otherwise). The times are saturated at
# MAX_TIME_44; when one does not fit, FLAG_WIDE_TIMES is set and `_grant_times` keeps both exactly.
# A reserved grant's funds need no slot of their own: while FLAG_RESERVED is set they are exactly
# totalLimit - spent, both already in `_grant_amounts`.
_grant_key: HashMap[bytes32, uint256]
_grant_owner: HashMap[bytes32, uint256]
_grant_asset: HashMap[bytes32, uint256]
_grant_amounts: HashMap[bytes32, uint256]
_grant_times: HashMap[bytes32, uint256]
# The allowed payees of a grant that names two or more (a one-payee grant keeps its payee in its own slots).
_grant_payee: HashMap[bytes32, HashMap[address, bool]]
# grantId -> payee -> the cumulative amount already paid on that channel, for grants without FLAG_ONE_PAYEE.
_settled: HashMap[bytes32, HashMap[address, uint128]]
# The payouts of one validateAndRecord, before they are made (transient: never more than one call's worth).
_payouts: transient(HashMap[uint256, Payout])

# The domain separator is cached for the deployment chain and rebuilt if the chain id ever changes (a fork).
_CACHED_CHAIN_ID: immutable(uint256)
_CACHED_DOMAIN_SEPARATOR: immutable(bytes32)


@deploy
def __init__(settlement_period: uint256):
    assert settlement_period >= MIN_SETTLEMENT_PERIOD and settlement_period <= MAX_SETTLEMENT_PERIOD, \
        "settlement period out of range"
    settlementPeriod = settlement_period
    _CACHED_CHAIN_ID = chain.id
    _CACHED_DOMAIN_SEPARATOR = self._build_domain_separator()


# ---------------------------------------------------------------------------------------------------------------
# EIP-712


@internal
@view
def _build_domain_separator() -> bytes32:
    return keccak256(abi_encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, self))


@internal
@view
def _domain_separator() -> bytes32:
    if chain.id == _CACHED_CHAIN_ID:
        return _CACHED_DOMAIN_SEPARATOR
    return self._build_domain_separator()


@internal
@pure
def _hash_words(encoded: Bytes[2080], count: uint256) -> bytes32:
    # EIP-712 hashes an array as keccak256 of its members' 32-byte encodings, one after the other: that is the ABI
    # encoding of the dynamic array without its leading length word.
    if count == 0:
        return keccak256(b"")
    return keccak256(slice(encoded, 32, count * 32))


@internal
@pure
def _grant_struct_hash(grant: SessionGrant) -> bytes32:
    service_hashes: DynArray[bytes32, MAX_LIST] = []
    for service: String[MAX_STRING] in grant.services:
        service_hashes.append(keccak256(service))
    payees_hash: bytes32 = self._hash_words(abi_encode(grant.payees, ensure_tuple=False), len(grant.payees))
    services_hash: bytes32 = self._hash_words(abi_encode(service_hashes, ensure_tuple=False), len(service_hashes))
    return keccak256(abi_encode(
        GRANT_TYPEHASH, grant.owner, grant.sessionKey, grant.asset, payees_hash, services_hash,
        grant.totalLimit, grant.perPaymentLimit, grant.periodLimit, grant.periodSeconds, grant.maxCallsPerMinute,
        grant.validAfter, grant.validUntil, grant.salt,
    ))


@internal
@pure
def _voucher_struct_hash(voucher: PaymentVoucher) -> bytes32:
    return keccak256(abi_encode(
        VOUCHER_TYPEHASH, voucher.grantId, voucher.payee, voucher.cumulativeAmount, voucher.sequence,
        voucher.requestBinding, voucher.validUntil,
    ))


@internal
@view
def _digest(struct_hash: bytes32) -> bytes32:
    return keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))


@internal
@pure
def _well_formed(v: uint256, s: bytes32) -> bool:
    # PROTOCOL.md section 2: v in {27, 28} (or {0, 1}) and low s; anything else is malformed, not merely wrong.
    return (v == 27 or v == 28 or v == 0 or v == 1) and convert(s, uint256) <= SECP256K1_HALF_N


@internal
@view
def _recover(digest: bytes32, v: uint256, r: bytes32, s: bytes32) -> address:
    # Callers check _well_formed first. ecrecover gives the zero address for an invalid signature, which never
    # matches: registration refuses a grant whose owner or session key is zero.
    return ecrecover(digest, v if v >= 27 else v + 27, r, s)


@external
@view
def domainSeparator() -> bytes32:
    return self._domain_separator()


@external
@pure
def grantStructHash(grant: SessionGrant) -> bytes32:
    return self._grant_struct_hash(grant)


@external
@view
def grantDigest(grant: SessionGrant) -> bytes32:
    """@notice The grant id: the grant's EIP-712 digest under this escrow's domain (what the owner signs)."""
    return self._digest(self._grant_struct_hash(grant))


@external
@pure
def voucherStructHash(voucher: PaymentVoucher) -> bytes32:
    return self._voucher_struct_hash(voucher)


@external
@view
def voucherDigest(voucher: PaymentVoucher) -> bytes32:
    """@notice The voucher id: what the session key signs."""
    return self._digest(self._voucher_struct_hash(voucher))


# ---------------------------------------------------------------------------------------------------------------
# Grants


@internal
@pure
def _one_payee(key_word: uint256, asset_word: uint256) -> address:
    # The payee's high 96 bits ride above the session key, its low 64 above the asset (the layout above).
    return convert(((key_word >> 160) << 64) | (asset_word >> 160), address)


@internal
@view
def _load_grant(grant_id: bytes32) -> GrantState:
    owner_word: uint256 = self._grant_owner[grant_id]
    amounts: uint256 = self._grant_amounts[grant_id]
    flags: uint256 = owner_word >> 248
    valid_after: uint256 = (owner_word >> 160) & MAX_TIME_44
    valid_until: uint256 = (owner_word >> 204) & MAX_TIME_44
    if flags & FLAG_WIDE_TIMES != 0:
        times: uint256 = self._grant_times[grant_id]
        valid_after = times & MASK_64
        valid_until = times >> 64
    return GrantState(
        owner=convert(owner_word & MASK_160, address),
        sessionKey=convert(self._grant_key[grant_id] & MASK_160, address),
        asset=convert(self._grant_asset[grant_id] & MASK_160, address),
        totalLimit=convert(amounts & MASK_128, uint128),
        spent=convert(amounts >> 128, uint128),
        validAfter=convert(valid_after, uint64),
        validUntil=convert(valid_until, uint64),
        frozen=flags & FLAG_FROZEN != 0,
        anyPayee=flags & FLAG_ANY_PAYEE != 0,
    )


@internal
def _register(grant: SessionGrant, grant_id: bytes32, owner_signed: bool):
    # The same sanity rules as the gateway's SessionGrant.validate: a grant that breaks them could never be honoured.
    assert grant.owner != empty(address) and grant.sessionKey != empty(address), "grant: zero owner or key"
    assert grant.asset != empty(address), "grant: zero asset"
    assert grant.validAfter < grant.validUntil, "grant: validUntil must be after validAfter"
    assert grant.totalLimit > 0, "grant: zero limit"
    # Registered once: a second registration must not reset what the key has spent.
    assert self._grant_owner[grant_id] == 0, "grant: already registered"

    flags: uint256 = 0
    payee_word: uint256 = 0
    if len(grant.payees) == 0:
        flags = FLAG_ANY_PAYEE
    elif len(grant.payees) == 1:
        flags = FLAG_ONE_PAYEE
        payee_word = convert(grant.payees[0], uint256)
    else:
        for payee: address in grant.payees:
            self._grant_payee[grant_id][payee] = True
    valid_after: uint256 = convert(grant.validAfter, uint256)
    valid_until: uint256 = convert(grant.validUntil, uint256)
    if valid_until > MAX_TIME_44:  # validAfter < validUntil, so this covers both
        flags |= FLAG_WIDE_TIMES
        self._grant_times[grant_id] = valid_after | (valid_until << 64)
    self._grant_owner[grant_id] = convert(grant.owner, uint256) | (min(valid_after, MAX_TIME_44) << 160) \
        | (min(valid_until, MAX_TIME_44) << 204) | (flags << 248)
    self._grant_key[grant_id] = convert(grant.sessionKey, uint256) | ((payee_word >> 64) << 160)
    self._grant_asset[grant_id] = convert(grant.asset, uint256) | ((payee_word & MASK_64) << 160)
    self._grant_amounts[grant_id] = convert(grant.totalLimit, uint256)
    log SessionKeyCreated(
        grantId=grant_id, owner=grant.owner, sessionKey=grant.sessionKey, asset=grant.asset,
        totalLimit=grant.totalLimit, validAfter=grant.validAfter, validUntil=grant.validUntil,
        ownerSigned=owner_signed,
    )


@external
@nonreentrant
def createSessionKey(grant: SessionGrant) -> bytes32:
    """
    @notice The owner registers a session key by sending the grant itself (no signature needed: the sender is the
            owner). Returns the grant id, the same id an owner-signed copy of this grant has.
    """
    assert grant.owner == msg.sender, "grant: sender is not the owner"
    grant_id: bytes32 = self._digest(self._grant_struct_hash(grant))
    self._register(grant, grant_id, False)
    return grant_id


@external
@nonreentrant
def registerSessionGrant(grant: SessionGrant, signature: Bytes[65]) -> bytes32:
    """
    @notice Anyone (the agent, the gateway) registers a grant the owner signed off-chain with eth_signTypedData_v4.
    @param signature 65 bytes r || s || v, as wallets and `pb grant sign` write it.
    """
    assert len(signature) == 65, "grant: signature must be 65 bytes"
    r: bytes32 = extract32(signature, 0)
    s: bytes32 = extract32(signature, 32)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    assert self._well_formed(v, s), "grant: malformed signature"
    grant_id: bytes32 = self._digest(self._grant_struct_hash(grant))
    assert self._recover(grant_id, v, r, s) == grant.owner, "grant: not signed by its owner"
    self._register(grant, grant_id, True)
    return grant_id


@external
@view
def getGrant(grant_id: bytes32) -> GrantState:
    return self._load_grant(grant_id)


@external
@view
def isPayeeAllowed(grant_id: bytes32, payee: address) -> bool:
    flags: uint256 = self._grant_owner[grant_id] >> 248
    if flags & FLAG_ONE_PAYEE != 0:
        return payee == self._one_payee(self._grant_key[grant_id], self._grant_asset[grant_id])
    return flags & FLAG_ANY_PAYEE != 0 or self._grant_payee[grant_id][payee]


@external
@view
def settledAmount(grant_id: bytes32, payee: address) -> uint128:
    if (self._grant_owner[grant_id] >> 248) & FLAG_ONE_PAYEE != 0:
        if payee != self._one_payee(self._grant_key[grant_id], self._grant_asset[grant_id]):
            return 0
        return convert(self._grant_amounts[grant_id] >> 128, uint128)
    return self._settled[grant_id][payee]


@external
@nonreentrant
def setGuardian(guardian: address, enabled: bool):
    """@notice The owner lets a guardian (the gateway's Sentinel) freeze, never unfreeze, the owner's keys."""
    self.isGuardian[msg.sender][guardian] = enabled
    log GuardianSet(owner=msg.sender, guardian=guardian, enabled=enabled)


@external
@nonreentrant
def freezeSessionKey(grant_id: bytes32):
    """@notice Stops all settlement under the grant at once. By the owner or one of the owner's guardians."""
    owner_word: uint256 = self._grant_owner[grant_id]
    owner: address = convert(owner_word & MASK_160, address)
    assert owner != empty(address), "grant: unknown"
    assert msg.sender == owner or self.isGuardian[owner][msg.sender], "freeze: not the owner or a guardian"
    if (owner_word >> 248) & FLAG_FROZEN == 0:
        self._grant_owner[grant_id] = owner_word | (FLAG_FROZEN << 248)
        log SessionKeyFrozen(grantId=grant_id, by=msg.sender)


@external
@nonreentrant
def unfreezeSessionKey(grant_id: bytes32):
    """@notice Only the owner unfreezes: a guardian's freeze is a brake a compromised guardian cannot release."""
    owner_word: uint256 = self._grant_owner[grant_id]
    assert convert(owner_word & MASK_160, address) == msg.sender, "unfreeze: not the owner"
    if (owner_word >> 248) & FLAG_FROZEN != 0:
        self._grant_owner[grant_id] = owner_word & ~(FLAG_FROZEN << 248)
        log SessionKeyUnfrozen(grantId=grant_id)


# ---------------------------------------------------------------------------------------------------------------
# Settlement


@external
@nonreentrant
def setSettler(settler: address, enabled: bool):
    """@notice A payee lets another account (its gateway's settlement key) submit its claims."""
    self.isSettler[msg.sender][settler] = enabled
    log SettlerSet(payee=msg.sender, settler=settler, enabled=enabled)


@internal
def _reject(grant_id: bytes32, payee: address, sequence: uint64, reason: uint8) -> (uint8, address, uint256):
    log VoucherRejected(grantId=grant_id, payee=payee, sequence=sequence, reason=reason)
    return reason, empty(address), 0


@internal
def _settle(claim: Claim) -> (uint8, address, uint256):
    """
    @dev Checks and effects for one claim; the caller makes the transfers after the whole batch. The checks run in
         the order of the reasons, and each slot is read only once the checks before it passed.
    """
    grant_id: bytes32 = claim.voucher.grantId
    payee: address = claim.voucher.payee
    owner_word: uint256 = self._grant_owner[grant_id]
    owner: address = convert(owner_word & MASK_160, address)
    if owner == empty(address):
        return self._reject(grant_id, payee, claim.voucher.sequence, GRANT_UNKNOWN)
    # The submitter chooses chargedCumulativeAmount, so only the payee (or its settler) may: anyone else could
    # claim a credit window's unused remainder on the payee's behalf.
    if msg.sender != payee and not self.isSettler[payee][msg.sender]:
        return self._reject(grant_id, payee, claim.voucher.sequence, NOT_SETTLER)
    if block.timestamp < (owner_word >> 160) & MAX_TIME_44:
        return self._reject(grant_id, payee, claim.voucher.sequence, NOT_YET_VALID)
    if block.timestamp >= ((owner_word >> 204) & MAX_TIME_44) + settlementPeriod:
        return self._reject(grant_id, payee, claim.voucher.sequence, EXPIRED)
    flags: uint256 = owner_word >> 248
    if flags & FLAG_FROZEN != 0:
        return self._reject(grant_id, payee, claim.voucher.sequence, FROZEN)
    key_word: uint256 = self._grant_key[grant_id]
    asset_word: uint256 = self._grant_asset[grant_id]
    one_payee: bool = flags & FLAG_ONE_PAYEE != 0
    if one_payee:
        if payee != self._one_payee(key_word, asset_word):
            return self._reject(grant_id, payee, claim.voucher.sequence, PAYEE_NOT_ALLOWED)
    elif flags & FLAG_ANY_PAYEE == 0 and not self._grant_payee[grant_id][payee]:
        return self._reject(grant_id, payee, claim.voucher.sequence, PAYEE_NOT_ALLOWED)
    v: uint256 = convert(claim.v, uint256)
    if not self._well_formed(v, claim.s):
        return self._reject(grant_id, payee, claim.voucher.sequence, SIGNATURE_MALFORMED)
    digest: bytes32 = self._digest(self._voucher_struct_hash(claim.voucher))
    if self._recover(digest, v, claim.r, claim.s) != convert(key_word & MASK_160, address):
        return self._reject(grant_id, payee, claim.voucher.sequence, SIGNATURE_INVALID)

    amounts: uint256 = self._grant_amounts[grant_id]
    total_limit: uint256 = amounts & MASK_128
    spent: uint256 = amounts >> 128
    # A one-payee grant's only channel has been paid exactly what the grant has spent.
    settled: uint256 = spent
    if not one_payee:
        settled = convert(self._settled[grant_id][payee], uint256)
    target: uint256 = convert(min(claim.chargedCumulativeAmount, claim.voucher.cumulativeAmount), uint256)
    if target <= settled:  # a replay, or an older voucher than the one already settled
        return self._reject(grant_id, payee, claim.voucher.sequence, NOTHING_TO_SETTLE)
    paid: uint256 = target - settled
    if spent + paid > total_limit:
        return self._reject(grant_id, payee, claim.voucher.sequence, OVER_LIMIT)
    asset: address = convert(asset_word & MASK_160, address)
    # A reserved grant holds total_limit - spent itself, and the limit check above just showed paid fits in that:
    # it never touches (nor waits for) the pooled balance, which saves that slot's cold read and its write.
    if flags & FLAG_RESERVED == 0:
        balance: uint256 = self.escrowBalance[owner][asset]
        if balance < paid:
            return self._reject(grant_id, payee, claim.voucher.sequence, INSUFFICIENT_ESCROW)
        # That was the last check, so the effects may start here: one branch keeps the pooled path's cost.
        self.escrowBalance[owner][asset] = balance - paid

    if not one_payee:
        self._settled[grant_id][payee] = convert(target, uint128)
    # spent + paid <= total_limit < 2**128: the packed word cannot overflow. For a reserved grant this same write
    # also shrinks its reservation (total_limit - spent) by exactly what leaves the contract.
    self._grant_amounts[grant_id] = total_limit | ((spent + paid) << 128)
    log VoucherSettled(
        grantId=grant_id, payee=payee, sequence=claim.voucher.sequence,
        settledCumulativeAmount=convert(target, uint128), paid=convert(paid, uint128),
    )
    return SETTLED, asset, paid


@external
@nonreentrant
def validateAndRecord(claims: DynArray[Claim, MAX_BATCH]) -> DynArray[uint8, MAX_BATCH]:
    """
    @notice Settles a batch of vouchers (one per channel = grant x payee). A claim that fails a check is skipped
            with a VoucherRejected event and does not stop the others; the result lists each claim's reason
            (0 = settled), so an eth_call previews a batch. Consecutive claims to the same payee in the same token
            are paid with one transfer: sort a batch by (asset, payee).
    """
    results: DynArray[uint8, MAX_BATCH] = []
    # The current run of payouts to one (token, payee); finished runs wait in transient storage, so the memory of
    # this call stays small.
    runs: uint256 = 0
    token: address = empty(address)
    payee: address = empty(address)
    amount: uint256 = 0
    for claim: Claim in claims:
        reason: uint8 = 0
        claim_token: address = empty(address)
        paid: uint256 = 0
        reason, claim_token, paid = self._settle(claim)
        results.append(reason)
        if reason != SETTLED:
            continue
        if amount > 0 and (claim_token != token or claim.voucher.payee != payee):
            self._payouts[runs] = Payout(token=token, payee=payee, amount=amount)
            runs += 1
            amount = 0
        token = claim_token
        payee = claim.voucher.payee
        amount += paid
    # Interactions last: every balance above is already final when a token gets control.
    for i: uint256 in range(runs, bound=MAX_BATCH):
        payout: Payout = self._payouts[i]
        self._transfer(payout.token, payout.payee, payout.amount)
    if amount > 0:
        self._transfer(token, payee, amount)
    return results


@external
@nonreentrant
def validateAndRecordOne(claim: Claim) -> uint8:
    """
    @notice validateAndRecord for one claim, with the same checks, events and payout. A lone claim through the batch
            entry pays ~8.7k gas for the memory of its 128-claim argument; this one does not.
    """
    reason: uint8 = 0
    claim_token: address = empty(address)
    paid: uint256 = 0
    reason, claim_token, paid = self._settle(claim)
    if reason == SETTLED and paid > 0:
        self._transfer(claim_token, claim.voucher.payee, paid)
    return reason


# ---------------------------------------------------------------------------------------------------------------
# Escrow


@internal
def _transfer(token: address, to: address, amount: uint256):
    # raw_call so that tokens which return nothing (USDT-style) work; a token that returns false is refused.
    response: Bytes[32] = raw_call(
        token, abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")), max_outsize=32
    )
    if len(response) > 0:
        assert convert(response, bool), "token: transfer failed"


@external
@nonreentrant
def deposit(token: address, amount: uint256):
    """@notice Adds to the sender's escrow in `token` (approve this contract first). Credits what actually arrived."""
    before: uint256 = staticcall IERC20(token).balanceOf(self)
    response: Bytes[32] = raw_call(
        token, abi_encode(msg.sender, self, amount, method_id=method_id("transferFrom(address,address,uint256)")),
        max_outsize=32,
    )
    if len(response) > 0:
        assert convert(response, bool), "token: transferFrom failed"
    received: uint256 = staticcall IERC20(token).balanceOf(self) - before
    self.escrowBalance[msg.sender][token] += received
    log Deposited(owner=msg.sender, token=token, amount=received)


@external
@nonreentrant
def requestWithdraw(token: address, amount: uint256):
    """
    @notice Starts the withdraw delay. The funds stay payable to payees until executeWithdraw; a new request
            replaces the previous one and restarts the clock.
    """
    assert amount > 0 and amount <= self.escrowBalance[msg.sender][token], "withdraw: amount out of range"
    ready_at: uint256 = block.timestamp + settlementPeriod
    self.pendingWithdrawal[msg.sender][token] = PendingWithdrawal(amount=amount, readyAt=ready_at)
    log WithdrawRequested(owner=msg.sender, token=token, amount=amount, readyAt=ready_at)


@external
@nonreentrant
def cancelWithdraw(token: address):
    assert self.pendingWithdrawal[msg.sender][token].readyAt != 0, "withdraw: none pending"
    self.pendingWithdrawal[msg.sender][token] = empty(PendingWithdrawal)
    log WithdrawCancelled(owner=msg.sender, token=token)


@external
@nonreentrant
def executeWithdraw(token: address) -> uint256:
    """
    @notice Pays out a request whose delay is over: the requested amount, or less if payees settled part of it
            during the delay or the owner reserved part of it for a grant (vouchers and reservations come first).
            Returns what was paid.
    """
    pending: PendingWithdrawal = self.pendingWithdrawal[msg.sender][token]
    assert pending.readyAt != 0, "withdraw: none pending"
    assert block.timestamp >= pending.readyAt, "withdraw: delay not over"
    amount: uint256 = min(pending.amount, self.escrowBalance[msg.sender][token])
    self.pendingWithdrawal[msg.sender][token] = empty(PendingWithdrawal)
    self.escrowBalance[msg.sender][token] -= amount
    log Withdrawn(owner=msg.sender, token=token, amount=amount)
    if amount > 0:
        self._transfer(token, msg.sender, amount)
    return amount


# ---------------------------------------------------------------------------------------------------------------
# Reserved grants


@internal
@view
def _remaining(grant_id: bytes32) -> uint256:
    # What a reserved grant holds: its limit not yet spent (spent <= totalLimit always holds).
    amounts: uint256 = self._grant_amounts[grant_id]
    return (amounts & MASK_128) - (amounts >> 128)


@internal
@view
def _settleable_until(owner_word: uint256) -> uint256:
    # The first second at which _settle says EXPIRED (the same expression, kept inline there to save a call). With
    # FLAG_WIDE_TIMES validUntil is saturated at MAX_TIME_44, so that second lies beyond any block: such a grant never
    # ends, which is why reserveGrant refuses it.
    return ((owner_word >> 204) & MAX_TIME_44) + settlementPeriod


@external
@nonreentrant
def reserveGrant(grant_id: bytes32):
    """
    @notice The owner locks the grant's whole remaining limit (totalLimit - spent) for it, out of the pooled escrow,
            so that every voucher within the limit is funded whatever else the owner's grants or withdrawals do.
            Settlement of a reserved grant no longer reads or writes the pool (~5k gas less per voucher). The funds
            come back to the pool only through releaseGrant, once the grant can no longer settle; a reservation
            takes priority over a pending withdrawal (executeWithdraw pays only what is left in the pool).
    """
    owner_word: uint256 = self._grant_owner[grant_id]
    owner: address = convert(owner_word & MASK_160, address)
    assert owner != empty(address), "grant: unknown"
    assert msg.sender == owner, "reserve: not the owner"
    flags: uint256 = owner_word >> 248
    assert flags & FLAG_RESERVED == 0, "reserve: already reserved"
    # Such a grant's end is beyond 2**44 seconds (or never): releaseGrant could never return the funds.
    assert flags & FLAG_WIDE_TIMES == 0, "reserve: validUntil beyond 2**44 s, the funds could never be released"
    # A grant that can no longer settle needs no funds: reserving it would only lock them until a release.
    assert block.timestamp < self._settleable_until(owner_word), "reserve: the grant has ended"
    asset: address = convert(self._grant_asset[grant_id] & MASK_160, address)
    amount: uint256 = self._remaining(grant_id)
    balance: uint256 = self.escrowBalance[owner][asset]
    assert balance >= amount, "reserve: escrow below the grant's remaining limit"
    self.escrowBalance[owner][asset] = balance - amount
    self._grant_owner[grant_id] = owner_word | (FLAG_RESERVED << 248)
    log GrantReserved(grantId=grant_id, owner=owner, asset=asset, amount=amount)


@external
@nonreentrant
def releaseGrant(grant_id: bytes32):
    """
    @notice Returns what a reserved grant still holds (totalLimit - spent) to its owner's pooled escrow, once the
            grant can no longer settle (validUntil + settlementPeriod has passed). Anyone may call it: the funds
            only ever go back to the owner's escrow, and from there out through the usual withdrawal.
    """
    owner_word: uint256 = self._grant_owner[grant_id]
    # An unknown grant has no flags, so it is "not reserved" too.
    assert (owner_word >> 248) & FLAG_RESERVED != 0, "release: grant not reserved"
    assert block.timestamp >= self._settleable_until(owner_word), "release: the grant can still settle"
    owner: address = convert(owner_word & MASK_160, address)
    asset: address = convert(self._grant_asset[grant_id] & MASK_160, address)
    amount: uint256 = self._remaining(grant_id)
    # Time only moves on, so the grant stays EXPIRED: without the flag nothing can settle it from the pool either.
    self._grant_owner[grant_id] = owner_word & ~(FLAG_RESERVED << 248)
    self.escrowBalance[owner][asset] += amount
    log GrantReleased(grantId=grant_id, owner=owner, asset=asset, amount=amount)


@external
@view
def reservedAmount(grant_id: bytes32) -> uint256:
    """@notice What the grant holds for itself outside the pooled escrow: totalLimit - spent if reserved, else 0."""
    if (self._grant_owner[grant_id] >> 248) & FLAG_RESERVED == 0:
        return 0
    return self._remaining(grant_id)
