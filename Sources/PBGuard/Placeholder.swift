public enum PBGuardPlaceholder {}
