import PBCore
import PBCrypto
import PBProtocol
import Testing

/// `SessionDocument.parse` must refuse anything but exactly-formed grants and vouchers: a field the parser guessed
/// at is a field the owner did not sign the way the gateway reads it. Each case edits one valid document and
/// expects the refusal's code (HTTP 400 either way) and a message naming the offending field, because that message
/// is all a client developer sees when the gateway answers 400.
@Suite struct SessionMessageStrictnessTests {
    /// One edit of a valid document and what the parser must say about it.
    struct Mutation: Sendable, CustomTestStringConvertible {
        enum Base: Sendable { case grant, voucher }
        let name: String
        let base: Base
        let edits: [(path: String, value: JSONValue?)]
        let code: X402ErrorCode
        /// Text the refusal message must contain: the path of the offending field.
        let mentions: String
        var testDescription: String { "\(base) \(name)" }

        var baseDocument: JSONValue {
            switch base {
            case .grant: SessionMessageStrictnessTests.grantDocument
            case .voucher: SessionMessageStrictnessTests.voucherDocument
            }
        }

        var document: JSONValue {
            edits.reduce(baseDocument) { document, edit in document.replacing(edit.path, with: edit.value) }
        }

        /// The same mutation with one more edit, for rules that tie two fields together.
        func and(_ path: String, _ value: JSONValue?) -> Mutation {
            Mutation(name: name, base: base, edits: edits + [(path, value)], code: code, mentions: mentions)
        }
    }

    static let fixture = SessionFixture.deterministic
    static let signedGrant = fixture.signedGrant()
    static let grantDocument = signedGrant.documentJSON
    static let voucherDocument: JSONValue = {
        let verified = try! SessionVerifier().verify(grant: signedGrant, now: nil).get()
        return fixture.signedVoucher(for: verified).documentJSON
    }()

    static let message = "typedData.message"

    static func grant(
        _ name: String, _ path: String, _ value: JSONValue?, code: X402ErrorCode = .invalidPayload,
        mentions: String? = nil
    ) -> Mutation {
        Mutation(name: name, base: .grant, edits: [(path, value)], code: code, mentions: mentions ?? path)
    }

    static func voucher(
        _ name: String, _ path: String, _ value: JSONValue?, code: X402ErrorCode = .invalidPayload,
        mentions: String? = nil
    ) -> Mutation {
        Mutation(name: name, base: .voucher, edits: [(path, value)], code: code, mentions: mentions ?? path)
    }

    /// Integers travel as decimal strings of digits only (section 2); each of these is a guess a lenient parser
    /// would make, and two parsers guessing differently would disagree on an amount.
    static let malformedIntegers: [(String, JSONValue)] = [
        ("plus sign", "+1"), ("minus sign", "-1"), ("leading zero", "01"), ("fraction", "1.0"), ("exponent", "1e3"),
        ("hex", "0x10"), ("empty string", ""), ("inner space", "1 0"), ("trailing space", "1 "),
        ("JSON true", .bool(true)),
        ("JSON null", .null), ("JSON array", .array([.string("1")])), ("JSON fraction literal", .number("1.0")),
        ("JSON negative literal", .number("-1")), ("JSON exponent literal", .number("1e3")),
    ]

    static let twoTo32 = "4294967296"
    static let twoTo64 = "18446744073709551616"
    static let twoTo128 = "340282366920938463463374607431768211456"

    static let ownerWithBadChecksum = togglingCaseOfFirstLetter(fixture.owner.address.checksummed)
    static let payeeWithBadChecksum = togglingCaseOfFirstLetter(fixture.payee.checksummed)
    static let bytes31 = JSONValue.string("0x" + String(repeating: "07", count: 31))
    static let bytes33 = JSONValue.string("0x" + String(repeating: "07", count: 33))

    static let mutations: [Mutation] = {
        var all: [Mutation] = []
        // Missing and unknown fields.
        for field in ["owner", "payees", "services", "totalLimit", "maxCallsPerMinute", "salt"] {
            all.append(grant("missing \(field)", "\(message).\(field)", nil))
        }
        for field in ["grantId", "cumulativeAmount", "sequence", "validUntil"] {
            all.append(voucher("missing \(field)", "\(message).\(field)", nil))
        }
        all.append(grant("unknown field", "\(message).memo", "pay the agent's friends too"))
        all.append(voucher("unknown field", "\(message).tip", "1000"))
        // Integers: malformed, and one above each width.
        for (label, value) in malformedIntegers {
            all.append(grant("totalLimit \(label)", "\(message).totalLimit", value))
            all.append(voucher("cumulativeAmount \(label)", "\(message).cumulativeAmount", value))
        }
        all += [
            grant("totalLimit above uint128", "\(message).totalLimit", .string(twoTo128)),
            grant("periodSeconds above uint64", "\(message).periodSeconds", .string(twoTo64)),
            grant("validUntil above uint64", "\(message).validUntil", .string(twoTo64)),
            grant("maxCallsPerMinute above uint32", "\(message).maxCallsPerMinute", .string(twoTo32)),
            voucher("cumulativeAmount above uint128", "\(message).cumulativeAmount", .string(twoTo128)),
            voucher("sequence above uint64", "\(message).sequence", .string(twoTo64)),
        ]
        // Addresses and fixed-length bytes.
        all += [
            grant("owner with a wrong checksum", "\(message).owner", .string(ownerWithBadChecksum)),
            grant(
                "payee with a wrong checksum", "\(message).payees", .array([.string(payeeWithBadChecksum)]),
                mentions: "\(message).payees[0]"),
            grant("asset of 19 bytes", "\(message).asset", .string("0x" + String(repeating: "ab", count: 19))),
            voucher("payee with a wrong checksum", "\(message).payee", .string(payeeWithBadChecksum)),
            grant("salt of 31 bytes", "\(message).salt", bytes31),
            grant("salt of 33 bytes", "\(message).salt", bytes33),
            voucher("grantId of 31 bytes", "\(message).grantId", bytes31),
            voucher("requestBinding of 33 bytes", "\(message).requestBinding", bytes33),
        ]
        // The types a wallet displayed must be the types we hash.
        all += [
            grant("type field renamed", "typedData.types.SessionGrant.5.name", "total", mentions: "typedData.types"),
            grant("type field retyped", "typedData.types.SessionGrant.5.type", "uint256", mentions: "typedData.types"),
            grant("type field dropped", "typedData.types.SessionGrant.12", nil, mentions: "typedData.types"),
            grant(
                "extra type added", "typedData.types.Memo", .array([.object([("name", "text"), ("type", "string")])]),
                mentions: "typedData.types"),
            voucher(
                "domain type retyped", "typedData.types.EIP712Domain.2.type", "uint64", mentions: "typedData.types"),
            grant("unknown primaryType", "typedData.primaryType", "SessionGrantV2", mentions: "primaryType"),
            voucher("primaryType of the domain", "typedData.primaryType", "EIP712Domain", mentions: "primaryType"),
        ]
        // Only the PB-Stream version 1 domain.
        all += [
            grant("domain name of another app", "typedData.domain.name", "USD Coin", mentions: "typedData.domain"),
            grant("domain name in other case", "typedData.domain.name", "pb-stream", mentions: "typedData.domain"),
            voucher("domain version 2", "typedData.domain.version", "2", mentions: "typedData.domain"),
            grant("domain chainId negative", "typedData.domain.chainId", "-8453"),
            grant("domain without contract", "typedData.domain.verifyingContract", nil),
            grant(
                "domain with a salt", "typedData.domain.salt",
                .string(Bytes32(unchecked: Array(repeating: 1, count: 32)).hex)),
        ]
        // Signatures that are not even hex are a malformed signature, not a malformed payload.
        all += [
            grant("signature not hex", "signature", "0xzz", code: .pbSignatureMalformed),
            voucher(
                "signature with a stray character", "signature", .string(Hex.encode(signedGrant.signatureBytes) + "g"),
                code: .pbSignatureMalformed),
            grant("signature missing", "signature", nil),
        ]
        // Grants whose limits could never be honoured as the owner meant.
        all += [
            grant("validUntil equal to validAfter", "\(message).validUntil", "1764000000"),
            grant("validUntil before validAfter", "\(message).validUntil", "1763999999"),
            grant("totalLimit zero", "\(message).totalLimit", "0"),
            grant(
                "periodLimit without periodSeconds", "\(message).periodLimit", "1000",
                mentions: "\(message).periodSeconds"),
            grant("periodSeconds without periodLimit", "\(message).periodSeconds", "3600"),
            grant("perPaymentLimit above totalLimit", "\(message).perPaymentLimit", "50000001"),
            grant(
                "the same payee twice, in two spellings", "\(message).payees",
                .array([.string(fixture.payee.checksummed), .string(fixture.payee.lowercased)]), mentions: "payees"),
            grant("the same service twice", "\(message).services", .array(["chat", "chat"]), mentions: "services"),
            grant(
                "65 services", "\(message).services", .array((1...65).map { .string("service-\($0)") }),
                mentions: "\(message).services"),
            grant(
                "65 payees", "\(message).payees",
                .array((1...65).map { _ in .string(PrivateKey.random().address.checksummed) }),
                mentions: "\(message).payees"),
            grant("an empty service", "\(message).services", .array([""]), mentions: "\(message).services[0]"),
            grant(
                "a service of 129 bytes", "\(message).services", .array([.string(String(repeating: "s", count: 129))]),
                mentions: "\(message).services[0]"),
            voucher("sequence zero", "\(message).sequence", "0"),
        ]
        return all
    }()

    @Test func unmutatedDocumentsParseAndVerify() throws {
        guard case .grant(let grant) = try SessionDocument.parse(Self.grantDocument) else {
            Issue.record("the grant document is not read as a grant")
            return
        }
        let verified = try SessionVerifier().verify(grant: grant, now: SessionFixture.validAfter).get()
        guard case .voucher(let voucher) = try SessionDocument.parse(Self.voucherDocument) else {
            Issue.record("the voucher document is not read as a voucher")
            return
        }
        #expect(
            SessionVerifier().verify(voucher: voucher, grant: verified, now: SessionFixture.validAfter).refusal == nil)
    }

    @Test(arguments: mutations)
    func mutatedDocumentIsRefusedNamingTheField(mutation: Mutation) {
        let document = mutation.document
        // A mistyped edit path would leave the document valid and test nothing.
        #expect(document != mutation.baseDocument)
        do throws(PaymentRefusal) {
            _ = try SessionDocument.parse(document)
            Issue.record("accepted")
        } catch {
            #expect(error.code == mutation.code, "\(error)")
            #expect(error.httpStatus == 400, "\(error)")
            #expect(error.message.contains(mutation.mentions), "\(error)")
        }
    }

    /// Values at the edge of what is allowed: a parser too strict here would refuse honest grants.
    static let acceptedEdits: [Mutation] = [
        grant("totalLimit at uint128 max", "\(message).totalLimit", .string(String(UInt128.max))),
        grant("maxCallsPerMinute at uint32 max", "\(message).maxCallsPerMinute", .string(String(UInt32.max))),
        grant("validUntil at uint64 max", "\(message).validUntil", .string(String(UInt64.max))),
        grant("totalLimit as a JSON integer literal", "\(message).totalLimit", .number("50000000")),
        grant("owner in lower case", "\(message).owner", .string(fixture.owner.address.lowercased)),
        grant("salt in upper-case hex", "\(message).salt", .string("0x" + String(repeating: "AB", count: 32))),
        grant("64 services", "\(message).services", .array((1...64).map { .string("service-\($0)") })),
        grant("no payees and no services", "\(message).payees", .array([])).and("\(message).services", .array([])),
        grant("both period fields set", "\(message).periodLimit", "1000").and("\(message).periodSeconds", "3600"),
        voucher("sequence one", "\(message).sequence", "1"),
    ]

    @Test(arguments: acceptedEdits)
    func documentAtTheEdgeOfTheRulesIsRead(mutation: Mutation) {
        do throws(PaymentRefusal) {
            _ = try SessionDocument.parse(mutation.document)
        } catch {
            Issue.record("refused: \(error)")
        }
    }

    static func togglingCaseOfFirstLetter(_ address: String) -> String {
        var characters = Array(address)
        // Index 0 and 1 are "0x"; the first hex letter after them decides the checksum case.
        guard let index = characters.indices.dropFirst(2).first(where: { characters[$0].isLetter }) else {
            return address
        }
        let letter = characters[index]
        characters[index] = Character(letter.isUppercase ? letter.lowercased() : letter.uppercased())
        return String(characters)
    }
}
