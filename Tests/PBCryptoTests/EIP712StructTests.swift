import PBCore
import PBCrypto
import Testing

/// The EIP-712 v4 example (`Person` with an array of wallets, `Mail` to an array of people) as Swift structs.
private struct Person: EIP712Struct {
    var name: String
    var wallets: [EthereumAddress]

    static let eip712TypeName = "Person"
    static let eip712Fields = [EIP712Field(name: "name", type: "string"), EIP712Field(name: "wallets", type: "address[]")]

    func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendString(name)
        encoder.appendWordArray(wallets.map(EIP712StructEncoder.word(address:)))
        return encoder.finalize()
    }

    func eip712Message() -> JSONValue {
        .object([("name", .string(name)), ("wallets", .array(wallets.map { .string($0.checksummed) }))])
    }
}

private struct Mail: EIP712Struct {
    var from: Person
    var to: [Person]
    var contents: String

    static let eip712TypeName = "Mail"
    static let eip712Fields = [
        EIP712Field(name: "from", type: "Person"), EIP712Field(name: "to", type: "Person[]"),
        EIP712Field(name: "contents", type: "string"),
    ]
    static let eip712ReferencedTypes: [any EIP712Struct.Type] = [Person.self]

    func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendStruct(from)
        encoder.appendStructArray(to)
        encoder.appendString(contents)
        return encoder.finalize()
    }

    func eip712Message() -> JSONValue {
        .object([("from", from.eip712Message()), ("to", .array(to.map { $0.eip712Message() })), ("contents", .string(contents))])
    }
}

/// The shape of a PB-Stream voucher, exercising uint128, uint64 and bytes32 words.
private struct Voucher: EIP712Struct {
    var sessionId: [UInt8]
    var payee: EthereumAddress
    var cumulativeAmount: UInt128
    var sequence: UInt64
    var issuedAt: UInt64

    static let eip712TypeName = "Voucher"
    static let eip712Fields = [
        EIP712Field(name: "sessionId", type: "bytes32"), EIP712Field(name: "payee", type: "address"),
        EIP712Field(name: "cumulativeAmount", type: "uint128"), EIP712Field(name: "sequence", type: "uint64"),
        EIP712Field(name: "issuedAt", type: "uint64"),
    ]

    func eip712StructHash() -> [UInt8] {
        var encoder = EIP712StructEncoder(for: Self.self)
        encoder.appendBytes32(sessionId)
        encoder.appendAddress(payee)
        encoder.appendUInt(cumulativeAmount)
        encoder.appendUInt(sequence)
        encoder.appendUInt(issuedAt)
        return encoder.finalize()
    }

    func eip712Message() -> JSONValue {
        .object([
            ("sessionId", .string(Hex.encode(sessionId))), ("payee", .string(payee.checksummed)),
            ("cumulativeAmount", .string(String(cumulativeAmount))), ("sequence", .number(String(sequence))),
            ("issuedAt", .number(String(issuedAt))),
        ])
    }
}

private func vector(named name: String) throws -> EIP712Vector {
    try #require(EIP712Vectors.cases("cases").first { $0.name == name })
}

@Test func mailFastPathMatchesGenericPathAndEthAccount() throws {
    let mail = Mail(
        from: Person(
            name: "Cow",
            wallets: [
                try EthereumAddress("0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"),
                try EthereumAddress("0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"),
            ]),
        to: [
            Person(
                name: "Bob",
                wallets: [
                    try EthereumAddress("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
                    try EthereumAddress("0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57"),
                    try EthereumAddress("0xB0B0b0b0b0b0B000000000000000000000000000"),
                ])
        ],
        contents: "Hello, Bob!")
    let domain = EIP712Domain(
        name: "Ether Mail", version: "1", chainId: 1,
        verifyingContract: try EthereumAddress("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"))
    let generic = try TypedData(domain: domain, message: mail)
    let expected = try vector(named: "mail with person arrays (EIP-712 v4 example)")

    #expect(Mail.eip712EncodedType == (try expected.text("encodedType")))
    #expect(Hex.encode(Mail.eip712TypeHash) == (try expected.text("typeHash")))
    #expect(Hex.encode(domain.separator) == (try expected.text("domainSeparator")))
    #expect(Hex.encode(mail.eip712StructHash()) == (try expected.text("structHash")))
    #expect(EIP712.digest(domain: domain, message: mail) == generic.digest())
    #expect(Hex.encode(EIP712.digest(domain: domain, message: mail)) == (try expected.text("digest")))
    #expect(generic.types.map(\.name) == ["EIP712Domain", "Mail", "Person"])
}

@Test func voucherFastPathMatchesEthAccount() throws {
    let expected = try vector(named: "payment voucher")
    let message = try #require(expected.typedData["message"])
    let voucher = Voucher(
        sessionId: try Hex.decode(try #require(message["sessionId"]?.stringValue)),
        payee: try EthereumAddress("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
        cumulativeAmount: 1_500_000, sequence: 42, issuedAt: 1_767_225_600)
    let domain = EIP712Domain(
        name: "PB-Stream", version: "1", chainId: 8453,
        verifyingContract: try EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"))
    #expect(Hex.encode(EIP712.digest(domain: domain, message: voucher)) == (try expected.text("digest")))
    #expect(try TypedData(domain: domain, message: voucher).digest() == EIP712.digest(domain: domain, message: voucher))
}

@Test func domainKeepsOnlyPresentFieldsInTheEIPOrder() throws {
    let salt = [UInt8](repeating: 0x5a, count: 16) + [UInt8](repeating: 0x0f, count: 16)
    let domain = EIP712Domain(chainId: 10, salt: salt)
    #expect(domain.fields.map(\.name) == ["chainId", "salt"])
    let expected = try vector(named: "domain with only chainId and salt")
    #expect(Hex.encode(domain.separator) == (try expected.text("domainSeparator")))
    #expect(Hex.encode(EIP712Domain().separator) == (try vector(named: "empty domain").text("domainSeparator")))
}

@Test func encoderWritesSignedAndFixedWords() {
    var encoder = EIP712StructEncoder(typeHash: [UInt8](repeating: 0, count: 32), fieldCount: 3)
    encoder.appendInt(-1)
    encoder.appendFixedBytes([0xAB])
    encoder.appendBool(true)
    #expect(Array(encoder.encoded[32..<64]) == [UInt8](repeating: 0xFF, count: 32))
    #expect(Array(encoder.encoded[64..<96]) == [0xAB] + [UInt8](repeating: 0, count: 31))
    #expect(Array(encoder.encoded[96..<128]) == [UInt8](repeating: 0, count: 31) + [1])
}

@Test(arguments: [
    (#"{"Grant":[{"name":"grant","type":"Inner"}],"Inner":[{"name":"totalLimit","type":"uint128"}]}"#,
     #"{"grant":{"totalLimit":"340282366920938463463374607431768211456"}}"#,
     "message.grant.totalLimit: 340282366920938463463374607431768211456 does not fit uint128"),
    (#"{"Grant":[{"name":"a","type":"int8[2][]"}]}"#, #"{"a":[[1,2],[3,"0x80"]]}"#, "message.a[1][1]: 0x80 does not fit int8"),
    (#"{"Grant":[{"name":"a","type":"uint8"}]}"#, #"{"a":1,"b":2}"#, "message.b: not a field of Grant"),
    (#"{"Grant":[{"name":"a","type":"uint8"}]}"#, #"{"a":1e2}"#, "message.a: 1e2 is not an integer"),
    (#"{"Grant":[{"name":"a","type":"bytes"}]}"#, #"{"a":"hello"}"#, "is not 0x-prefixed hex"),
    (#"{"Grant":[{"name":"a","type":"uint08"}]}"#, #"{"a":1}"#, "types.Grant.a: unknown type uint08"),
    (#"{"Grant":[{"name":"a","type":"uint8[0]"}]}"#, #"{"a":[]}"#, "types.Grant.a: bad array length"),
    (#"{"Gr-ant":[{"name":"a","type":"uint8"}]}"#, #"{"a":1}"#, "types.Gr-ant: bad struct type name"),
    (#"{"A":[{"name":"b","type":"B[]"}],"B":[{"name":"a","type":"A"}]}"#, #"{"b":[]}"#, "cyclic type definition A -> B -> A"),
])
func rejectionsNameThePath(types: String, message: String, expected: String) throws {
    let primary = types.split(separator: "\"")[1]
    let json = #"{"types":\#(types),"primaryType":"\#(primary)","domain":{"name":"x"},"message":\#(message)}"#
    #expect {
        _ = try TypedData(json: json)
    } throws: { error in
        String(describing: error).contains(expected)
    }
}

@Test func domainTypeMustFollowTheEIPOrder() {
    let json = #"""
        {"types":{"EIP712Domain":[{"name":"version","type":"string"},{"name":"name","type":"string"}],
        "V":[{"name":"a","type":"uint8"}]},"primaryType":"V","domain":{"name":"n","version":"1"},"message":{"a":1}}
        """#
    #expect(throws: EIP712Error.self) { try TypedData(json: json) }
}
