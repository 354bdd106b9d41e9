public enum PBProtocolPlaceholder {}
