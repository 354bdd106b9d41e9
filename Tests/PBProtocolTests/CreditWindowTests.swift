import PBCore
import PBCrypto
import PBProtocol
import Testing

/// Credit windows (docs/PROTOCOL.md, section 8) against the `windows` vectors of spec/vectors/pb-session.json,
/// which Python's `cryptography` computed. Agent and gateway must derive the same key from opposite halves of the
/// key pair, or every call in a window is refused; and the MAC must bind every field it covers, or a captured call
/// can be replayed for another request, amount or window.
@Suite struct CreditWindowTests {
    /// One window vector with its keys parsed.
    struct Window: Sendable, CustomTestStringConvertible {
        let entry: SessionVectors.Entry
        let sessionKey: PrivateKey
        let gatewayKey: PrivateKey
        let sessionPublicKey: PublicKey
        let gatewayPublicKey: PublicKey
        let windowId: Bytes32
        var testDescription: String { entry.testDescription }

        init(_ entry: SessionVectors.Entry) throws {
            self.entry = entry
            sessionKey = try PrivateKey(hex: try entry.text("sessionPrivateKey"))
            gatewayKey = try PrivateKey(hex: try entry.text("gatewayPrivateKey"))
            sessionPublicKey = try PublicKey(hex: try entry.text("sessionPublicKey"))
            gatewayPublicKey = try PublicKey(hex: try entry.text("gatewayPublicKey"))
            windowId = try Bytes32(hex: try entry.text("windowId"))
        }

        /// What the agent holds: its session key and the `gatewayPublicKey` of the 402.
        var agentKey: CreditWindowKey {
            CreditWindowKey(sessionKey: sessionKey, gatewayPublicKey: gatewayPublicKey, windowId: windowId)
        }

        /// What the gateway holds: its own key and the session key recovered from the window's voucher.
        var gatewayWindowKey: CreditWindowKey {
            CreditWindowKey(gatewayKey: gatewayKey, sessionPublicKey: sessionPublicKey, windowId: windowId)
        }
    }

    /// One paid call inside a window, as the vector lists it.
    struct Call: Sendable, CustomTestStringConvertible {
        let window: Window
        let callIndex: UInt64
        let requestBinding: Bytes32
        let amount: UInt128
        let entry: SessionVectors.Entry
        var testDescription: String { "\(window.testDescription) call \(callIndex)" }

        init(window: Window, entry: SessionVectors.Entry) throws {
            self.window = window
            self.entry = entry
            callIndex = try #require(UInt64(try entry.text("callIndex")))
            requestBinding = try Bytes32(hex: try entry.text("requestBinding"))
            amount = try #require(UInt128(try entry.text("amount")))
        }

        func vectorMAC() throws -> [UInt8] { try Hex.decode(try entry.text("mac")) }

        /// Whether the gateway's key accepts `candidate` for this call as the vector states it.
        func gatewayAccepts(_ candidate: [UInt8]) -> Bool {
            window.gatewayWindowKey.isValidMAC(
                candidate, callIndex: callIndex, requestBinding: requestBinding, amount: amount)
        }
    }

    static let windows: [Window] = SessionVectors.entries("windows").map { try! Window($0) }
    static let calls: [Call] = windows.flatMap { window in
        (window.entry["calls"]?.arrayValues ?? []).map {
            try! Call(window: window, entry: SessionVectors.Entry(value: $0))
        }
    }

    @Test func vectorsAreNotEmpty() {
        // A vector file that lost its windows would make every parametrized test below pass vacuously.
        #expect(!Self.windows.isEmpty)
        #expect(Self.calls.count >= 2)
    }

    @Test(arguments: windows)
    func vectorPublicKeysBelongToTheirPrivateKeys(window: Window) {
        #expect(window.sessionKey.publicKey == window.sessionPublicKey)
        #expect(window.gatewayKey.publicKey == window.gatewayPublicKey)
        // The 402 announces the gateway key compressed (33 bytes); that is the form the vector holds.
        #expect(Hex.encode(window.gatewayPublicKey.compressedBytes) == (try? window.entry.text("gatewayPublicKey")))
    }

    @Test(arguments: windows)
    func sharedSecretIsTheSameFromBothSidesAndMatchesPython(window: Window) throws {
        let agentSide = window.sessionKey.sharedSecret(with: window.gatewayPublicKey)
        let gatewaySide = window.gatewayKey.sharedSecret(with: window.sessionPublicKey)
        #expect(agentSide == gatewaySide)
        #expect(Hex.encode(agentSide) == (try window.entry.text("sharedSecret")))
    }

    @Test(arguments: windows)
    func windowKeyIsTheSameFromBothSidesAndMatchesPython(window: Window) throws {
        let expected = try window.entry.text("windowKey")
        #expect(Hex.encode(window.agentKey.keyBytesForTesting) == expected)
        #expect(Hex.encode(window.gatewayWindowKey.keyBytesForTesting) == expected)
        #expect(window.agentKey.windowId == window.windowId)
    }

    @Test(arguments: calls)
    func callMessageAndMACMatchPythonAndVerify(call: Call) throws {
        // The binding in the vector is the one of the request it names, so a client computing its own agrees.
        let binding = RequestBinding.compute(
            method: try call.entry.text("method"), target: try call.entry.text("target"))
        #expect(binding == call.requestBinding)
        let message = CreditWindowKey.callMessage(
            windowId: call.window.windowId, callIndex: call.callIndex, requestBinding: call.requestBinding,
            amount: call.amount)
        #expect(Hex.encode(message) == (try call.entry.text("message")))
        let agentMAC = call.window.agentKey.mac(
            callIndex: call.callIndex, requestBinding: call.requestBinding, amount: call.amount)
        #expect(agentMAC == (try call.vectorMAC()))
        #expect(call.gatewayAccepts(try call.vectorMAC()))
        #expect(call.gatewayAccepts(agentMAC))
    }

    /// Ways an attacker (or a confused client) could try to pass a MAC that was not made for this exact call.
    enum Forgery: String, CaseIterable, Sendable {
        case macOfTheNextCallIndex
        case macOfAnotherRequest
        case macOfAnotherAmount
        case macOfAnotherWindow
        case macFromAThirdPartysKey
        case macTruncatedTo31Bytes
        case macTruncatedTo16Bytes
        case emptyMAC
        case macWithAnAppendedByte

        func candidate(for call: Call) throws -> [UInt8] {
            let agent = call.window.agentKey
            let vectorMAC = try call.vectorMAC()
            switch self {
            case .macOfTheNextCallIndex:
                return agent.mac(
                    callIndex: call.callIndex + 1, requestBinding: call.requestBinding, amount: call.amount)
            case .macOfAnotherRequest:
                let other = RequestBinding.compute(method: "POST", target: "/v1/admin/withdraw")
                return agent.mac(callIndex: call.callIndex, requestBinding: other, amount: call.amount)
            case .macOfAnotherAmount:
                return agent.mac(
                    callIndex: call.callIndex, requestBinding: call.requestBinding, amount: call.amount + 1)
            case .macOfAnotherWindow:
                // Same two keys, a different window: the salt of the HKDF must separate windows.
                let otherWindow = CreditWindowKey(
                    sessionKey: call.window.sessionKey, gatewayPublicKey: call.window.gatewayPublicKey,
                    windowId: Bytes32(unchecked: Array(repeating: 0x5a, count: 32)))
                return otherWindow.mac(
                    callIndex: call.callIndex, requestBinding: call.requestBinding, amount: call.amount)
            case .macFromAThirdPartysKey:
                // Someone who knows the window id and the gateway's public key, but not the session key.
                let thirdParty = CreditWindowKey(
                    sessionKey: .random(), gatewayPublicKey: call.window.gatewayPublicKey,
                    windowId: call.window.windowId)
                return thirdParty.mac(
                    callIndex: call.callIndex, requestBinding: call.requestBinding, amount: call.amount)
            case .macTruncatedTo31Bytes: return Array(vectorMAC.prefix(31))
            case .macTruncatedTo16Bytes: return Array(vectorMAC.prefix(16))
            case .emptyMAC: return []
            case .macWithAnAppendedByte: return vectorMAC + [0]
            }
        }
    }

    @Test(arguments: calls, Forgery.allCases)
    func gatewayRefusesAMACNotMadeForThisCall(call: Call, forgery: Forgery) throws {
        let candidate = try forgery.candidate(for: call)
        #expect(candidate != (try call.vectorMAC()))
        #expect(!call.gatewayAccepts(candidate))
    }

    @Test(arguments: calls)
    func gatewayRefusesTheMACWithAnyOneBitFlipped(call: Call) throws {
        let mac = try call.vectorMAC()
        for bit in 0..<(mac.count * 8) {
            var flipped = mac
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!call.gatewayAccepts(flipped), "bit \(bit) flipped was accepted")
        }
    }

    @Test(arguments: calls)
    func agentAndGatewayKeysDoNotDependOnWhoDerivedThem(call: Call) {
        // A fresh session key paired with the same gateway still agrees with the gateway's derivation: the
        // symmetry is a property of the construction, not of the one key pair in the vector.
        let session = PrivateKey.random()
        let agent = CreditWindowKey(
            sessionKey: session, gatewayPublicKey: call.window.gatewayPublicKey, windowId: call.window.windowId)
        let gateway = CreditWindowKey(
            gatewayKey: call.window.gatewayKey, sessionPublicKey: session.publicKey, windowId: call.window.windowId)
        let mac = agent.mac(callIndex: call.callIndex, requestBinding: call.requestBinding, amount: call.amount)
        #expect(
            gateway.isValidMAC(mac, callIndex: call.callIndex, requestBinding: call.requestBinding, amount: call.amount)
        )
        #expect(!call.gatewayAccepts(mac))
    }
}
