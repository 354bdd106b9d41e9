import Foundation
import PBCore
import PBStore

/// A route plan as the services API shows it: the `pricing` block as written in pb.yaml, plan fields flattened,
/// money as decimal strings. `RoutePlanReader` reads the same shape back.
enum RoutePlanJSON {
    static func encode(_ plan: RoutePlan) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(plan.plan), case .object(var members)? = try? JSONValue.parse(Array(data))
        else { return .null }
        if let hold = plan.hold {
            members.append(("hold", .object(hold.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) })))
        }
        if let holdSeconds = plan.holdSeconds { members.append(("holdSeconds", .number(String(holdSeconds)))) }
        if let dimensions = plan.dimensions {
            members.append((
                "dimensions",
                .object(dimensions.sorted { $0.key < $1.key }.map { key, source in
                    (key, source.header.map { .object([("header", .string($0))]) }
                        ?? .object([("wildcard", .number(String(source.wildcard ?? 0)))]))
                })
            ))
        }
        return .object(members)
    }
}
