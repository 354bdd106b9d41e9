/// The pb-session scheme's codes (docs/PROTOCOL.md, section 10), carried where x402 carries its own.
extension X402ErrorCode {
    public static let paymentRequired: Self = "payment_required"
    public static let pbRequirementsMismatch: Self = "pb_requirements_mismatch"
    public static let pbQuoteExpired: Self = "pb_quote_expired"
    public static let pbSignatureMalformed: Self = "pb_signature_malformed"
    public static let pbGrantUnknown: Self = "pb_grant_unknown"
    public static let pbGrantSignatureInvalid: Self = "pb_grant_signature_invalid"
    public static let pbVoucherSignatureInvalid: Self = "pb_voucher_signature_invalid"
    public static let pbCallMACInvalid: Self = "pb_call_mac_invalid"
    public static let pbGrantNotYetValid: Self = "pb_grant_not_yet_valid"
    public static let pbGrantExpired: Self = "pb_grant_expired"
    public static let pbVoucherExpired: Self = "pb_voucher_expired"
    public static let pbGrantRevoked: Self = "pb_grant_revoked"
    public static let pbKeyFrozen: Self = "pb_key_frozen"
    public static let pbPayeeMismatch: Self = "pb_payee_mismatch"
    public static let pbPayeeNotAllowed: Self = "pb_payee_not_allowed"
    public static let pbServiceNotAllowed: Self = "pb_service_not_allowed"
    public static let pbRequestBindingMismatch: Self = "pb_request_binding_mismatch"
    public static let pbPerPaymentLimitExceeded: Self = "pb_per_payment_limit_exceeded"
    public static let pbSequenceReplayed: Self = "pb_sequence_replayed"
    public static let pbCumulativeMismatch: Self = "pb_cumulative_mismatch"
    public static let pbRateLimited: Self = "pb_rate_limited"
    public static let pbPeriodLimitExceeded: Self = "pb_period_limit_exceeded"
    public static let pbLimitExceeded: Self = "pb_limit_exceeded"
    public static let pbWindowExhausted: Self = "pb_window_exhausted"
    public static let pbWindowExpired: Self = "pb_window_expired"
    public static let pbWindowClosed: Self = "pb_window_closed"
    /// Sentinel, the risk engine, refused this payment (the message says which rule); the key stays usable.
    public static let pbRiskBlocked: Self = "pb_risk_blocked"

    /// Every pb-session code, in the order of the verifier's checks.
    public static let pbSessionCodes: [Self] = [
        .paymentRequired, .pbRequirementsMismatch, .pbQuoteExpired, .pbSignatureMalformed, .pbGrantUnknown,
        .pbGrantSignatureInvalid, .pbVoucherSignatureInvalid, .pbCallMACInvalid, .pbGrantNotYetValid,
        .pbGrantExpired, .pbVoucherExpired, .pbGrantRevoked, .pbKeyFrozen, .pbPayeeMismatch, .pbPayeeNotAllowed,
        .pbServiceNotAllowed, .pbRequestBindingMismatch, .pbPerPaymentLimitExceeded, .pbSequenceReplayed,
        .pbCumulativeMismatch, .pbRateLimited, .pbPeriodLimitExceeded, .pbLimitExceeded, .pbWindowExhausted,
        .pbWindowExpired, .pbWindowClosed, .pbRiskBlocked,
    ]
}
