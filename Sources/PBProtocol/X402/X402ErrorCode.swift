/// A machine-readable x402 reason code, as carried in `error`, `invalidReason` and `errorReason`.
///
/// A struct rather than an enum because the set is open: facilitators and schemes (ours included, `pb_*`) add
/// codes, and a client must keep an unknown code it receives instead of failing to decode the response. Add codes
/// in an extension in their own file, e.g. `public static let pbBudgetExceeded: Self = "pb_budget_exceeded"`.
public struct X402ErrorCode: X402StringValue {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
}

// The strings below are data copied from the x402 specification's error table and from the `ERR_*` constants of
// the official Python package 2.25.0 (generic layer and EVM mechanisms); spec/vectors/x402.json lists the latter
// and a test checks that none is missing here. SVM, TVM and batch-settlement codes are not copied yet.

/// Codes of the protocol itself, independent of scheme and chain.
extension X402ErrorCode {
    public static let insufficientFunds: Self = "insufficient_funds"
    public static let invalidNetwork: Self = "invalid_network"
    public static let invalidPayload: Self = "invalid_payload"
    public static let invalidPaymentRequirements: Self = "invalid_payment_requirements"
    public static let invalidScheme: Self = "invalid_scheme"
    public static let unsupportedScheme: Self = "unsupported_scheme"
    public static let invalidX402Version: Self = "invalid_x402_version"
    public static let invalidTransactionState: Self = "invalid_transaction_state"
    public static let unexpectedVerifyError: Self = "unexpected_verify_error"
    public static let unexpectedSettleError: Self = "unexpected_settle_error"
    public static let duplicateSettlement: Self = "duplicate_settlement"
    public static let settlementPending: Self = "settlement_pending"
    public static let networkMismatch: Self = "network_mismatch"
    public static let extensionEchoMismatch: Self = "extension_echo_mismatch"
}

/// Codes of the `exact` and `upto` schemes on EVM chains (EIP-3009, Permit2, ERC-6492 smart wallets).
extension X402ErrorCode {
    public static let assetNotDeployedContract: Self = "asset_not_deployed_contract"
    public static let eip6492FactoryNotAllowed: Self = "eip6492_factory_not_allowed"
    public static let erc20ApprovalBroadcastFailed: Self = "erc20_approval_broadcast_failed"
    public static let erc20ApprovalTxFailed: Self = "erc20_approval_tx_failed"
    public static let invalidExactEVMEIP3009NotSupported: Self = "invalid_exact_evm_eip3009_not_supported"
    public static let invalidExactEVMFailedToGetAssetInfo: Self = "invalid_exact_evm_failed_to_get_asset_info"
    public static let invalidExactEVMFailedToGetNetworkConfig: Self = "invalid_exact_evm_failed_to_get_network_config"
    public static let invalidExactEVMFailedToVerifySignature: Self = "invalid_exact_evm_failed_to_verify_signature"
    public static let invalidExactEVMInsufficientBalance: Self = "invalid_exact_evm_insufficient_balance"
    public static let invalidExactEVMNonceAlreadyUsed: Self = "invalid_exact_evm_nonce_already_used"
    public static let invalidExactEVMPayloadAuthorizationValidAfter: Self = "invalid_exact_evm_payload_authorization_valid_after"
    public static let invalidExactEVMPayloadAuthorizationValidBefore: Self = "invalid_exact_evm_payload_authorization_valid_before"
    public static let invalidExactEVMPayloadAuthorizationValueMismatch: Self = "invalid_exact_evm_payload_authorization_value_mismatch"
    public static let invalidExactEVMPayloadRecipientMismatch: Self = "invalid_exact_evm_payload_recipient_mismatch"
    public static let invalidExactEVMPayloadSignature: Self = "invalid_exact_evm_payload_signature"
    public static let invalidExactEVMPayloadUndeployedSmartWallet: Self = "invalid_exact_evm_payload_undeployed_smart_wallet"
    public static let invalidExactEVMTokenNameMismatch: Self = "invalid_exact_evm_token_name_mismatch"
    public static let invalidExactEVMTokenVersionMismatch: Self = "invalid_exact_evm_token_version_mismatch"
    public static let invalidExactEVMTransactionSimulationFailed: Self = "invalid_exact_evm_transaction_simulation_failed"
    public static let invalidExactEVMTransferEventMismatch: Self = "invalid_exact_evm_transfer_event_mismatch"
    public static let invalidPermit2RecipientMismatch: Self = "invalid_permit2_recipient_mismatch"
    public static let invalidPermit2Signature: Self = "invalid_permit2_signature"
    public static let invalidPermit2Spender: Self = "invalid_permit2_spender"
    public static let invalidUptoEVMFailedToGetNetworkConfig: Self = "invalid_upto_evm_failed_to_get_network_config"
    public static let invalidUptoEVMNetworkMismatch: Self = "invalid_upto_evm_network_mismatch"
    public static let invalidUptoEVMPayloadSettlementExceedsAmount: Self = "invalid_upto_evm_payload_settlement_exceeds_amount"
    public static let invalidUptoEVMScheme: Self = "invalid_upto_evm_scheme"
    public static let invalidUptoEVMTransactionFailed: Self = "invalid_upto_evm_transaction_failed"
    public static let missingEIP712Domain: Self = "missing_eip712_domain"
    public static let permit2AllowanceRequired: Self = "permit2_allowance_required"
    public static let permit2AmountMismatch: Self = "permit2_amount_mismatch"
    public static let permit2DeadlineExpired: Self = "permit2_deadline_expired"
    public static let permit2InsufficientBalance: Self = "permit2_insufficient_balance"
    public static let permit2InvalidDestination: Self = "permit2_invalid_destination"
    public static let permit2InvalidOwner: Self = "permit2_invalid_owner"
    public static let permit2NotYetValid: Self = "permit2_not_yet_valid"
    public static let permit2TokenMismatch: Self = "permit2_token_mismatch"
    public static let smartWalletDeploymentFailed: Self = "smart_wallet_deployment_failed"
    public static let transactionFailed: Self = "transaction_failed"
    public static let uptoAmountExceedsPermitted: Self = "upto_amount_exceeds_permitted"
    public static let uptoFacilitatorMismatch: Self = "upto_facilitator_mismatch"
    public static let uptoUnauthorizedFacilitator: Self = "upto_unauthorized_facilitator"
    public static let invalidPermit2PayloadFormat: Self = "invalid_permit2_payload_format"
    public static let balanceCheckFailed: Self = "balance_check_failed"
    public static let unsupportedPayloadType: Self = "unsupported_payload_type"
}

extension X402ErrorCode {
    /// Every code declared in this file, for validation and documentation.
    public static let knownCodes: [X402ErrorCode] = [
        .insufficientFunds,
        .invalidNetwork,
        .invalidPayload,
        .invalidPaymentRequirements,
        .invalidScheme,
        .unsupportedScheme,
        .invalidX402Version,
        .invalidTransactionState,
        .unexpectedVerifyError,
        .unexpectedSettleError,
        .duplicateSettlement,
        .settlementPending,
        .networkMismatch,
        .extensionEchoMismatch,
        .assetNotDeployedContract,
        .eip6492FactoryNotAllowed,
        .erc20ApprovalBroadcastFailed,
        .erc20ApprovalTxFailed,
        .invalidExactEVMEIP3009NotSupported,
        .invalidExactEVMFailedToGetAssetInfo,
        .invalidExactEVMFailedToGetNetworkConfig,
        .invalidExactEVMFailedToVerifySignature,
        .invalidExactEVMInsufficientBalance,
        .invalidExactEVMNonceAlreadyUsed,
        .invalidExactEVMPayloadAuthorizationValidAfter,
        .invalidExactEVMPayloadAuthorizationValidBefore,
        .invalidExactEVMPayloadAuthorizationValueMismatch,
        .invalidExactEVMPayloadRecipientMismatch,
        .invalidExactEVMPayloadSignature,
        .invalidExactEVMPayloadUndeployedSmartWallet,
        .invalidExactEVMTokenNameMismatch,
        .invalidExactEVMTokenVersionMismatch,
        .invalidExactEVMTransactionSimulationFailed,
        .invalidExactEVMTransferEventMismatch,
        .invalidPermit2RecipientMismatch,
        .invalidPermit2Signature,
        .invalidPermit2Spender,
        .invalidUptoEVMFailedToGetNetworkConfig,
        .invalidUptoEVMNetworkMismatch,
        .invalidUptoEVMPayloadSettlementExceedsAmount,
        .invalidUptoEVMScheme,
        .invalidUptoEVMTransactionFailed,
        .missingEIP712Domain,
        .permit2AllowanceRequired,
        .permit2AmountMismatch,
        .permit2DeadlineExpired,
        .permit2InsufficientBalance,
        .permit2InvalidDestination,
        .permit2InvalidOwner,
        .permit2NotYetValid,
        .permit2TokenMismatch,
        .smartWalletDeploymentFailed,
        .transactionFailed,
        .uptoAmountExceedsPermitted,
        .uptoFacilitatorMismatch,
        .uptoUnauthorizedFacilitator,
        .invalidPermit2PayloadFormat,
        .balanceCheckFailed,
        .unsupportedPayloadType,
    ]
}
