import PBCrypto
print("benchmarks: not yet")
