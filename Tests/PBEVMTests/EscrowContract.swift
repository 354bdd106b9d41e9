import Foundation
import PBCore
import PBCrypto
import PBEVMRail
import PBProtocol
import PBTestSupport

@testable import PBEVM

/// The Vyper contracts of `contracts/`, compiled by the pinned `vyper` and deployed on a DevChain by the tests;
/// the encodings are the rail's own (`SessionKeyValidatorABI`).
enum EscrowContract {
    /// `vyper -f bytecode <path>`: init code, constructor arguments to be appended.
    static func bytecode(_ relativePath: String) throws -> [UInt8] {
        try DevChainDeployment.compileVyper(RepositoryFiles.url(relativePath))
    }

    static let grantType = SessionKeyValidatorABI.grantType
    static let claimsType = SessionKeyValidatorABI.claimsType

    static func grantValue(_ grant: SessionGrant) -> ABI.Value { SessionKeyValidatorABI.grantValue(grant) }

    static func claimValue(_ voucher: SignedPaymentVoucher, chargedCumulativeAmount: UInt128) -> ABI.Value {
        SessionKeyValidatorABI.claimValue(voucher, chargedCumulativeAmount: chargedCumulativeAmount)
    }
}
