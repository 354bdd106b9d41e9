import Foundation
import PBCore
import Testing

@Suite struct Base64Tests {
    @Test func encodingMatchesFoundationForEveryLengthUpTo300() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString())
            #expect(Base64.decode(encoded) == bytes)
        }
    }

    @Test func paddingIsOptionalButMustCompleteTheLastGroup() {
        #expect(Base64.decode("eyJhIjoxfQ") == Array(#"{"a":1}"#.utf8))
        #expect(Base64.decode("eyJhIjoxfQ==") == Array(#"{"a":1}"#.utf8))
        #expect(Base64.decode("eyJhIjoxfQ=") == nil)
        #expect(Base64.decode("") == [])
    }

    @Test(arguments: ["eyJhIjox-Q", "eyJhIjox_Q", "eyJh IjoxfQ", "eyJhIjoxf", "ey=JhIjoxfQ", "eyJhIjoxfQ===", "é"])
    func malformedInputIsRefused(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
