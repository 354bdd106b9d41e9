extension SentinelPolicy {
    /// The default rules with every call-count condition raised to `callsAbove`: for load generators and
    /// accelerated demos, where one agent rightly pays far more often than the seed's "> 100 calls a minute" allows.
    /// Every other rule (amounts, budget, new payees, anomalies) stays as in production.
    public static func standard(callsAbove: UInt64) throws(SentinelError) -> SentinelPolicy {
        var policy = standard.config
        for rule in policy.rules?.indices ?? [].indices {
            for condition in policy.rules![rule].when.indices where policy.rules![rule].when[condition].calls != nil {
                policy.rules![rule].when[condition].calls!.above = callsAbove
            }
        }
        return try SentinelPolicy(config: policy)
    }
}
