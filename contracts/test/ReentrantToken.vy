# pragma version ~=0.4.3
"""
@title ReentrantToken: a hostile ERC-20 for the re-entrancy tests
@notice Behaves like a plain token, except that `transfer` and `transferFrom` first call `target` with `payload`
        (armed by the test), i.e. they re-enter the escrow while the escrow is paying or collecting. The inner
        call's failure is caught and recorded, so a test can assert both that the re-entry was attempted and that
        the escrow refused it.
"""

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])

target: public(address)
payload: public(Bytes[2048])
armed: public(bool)
reentryAttempts: public(uint256)
reentrySucceeded: public(bool)


@external
def mint(receiver: address, amount: uint256):
    self.balanceOf[receiver] += amount


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@external
def arm(target: address, payload: Bytes[2048]):
    self.target = target
    self.payload = payload
    self.armed = True


@internal
def _reenter():
    if self.armed:
        self.armed = False  # once: the test wants one attempt, not a loop
        self.reentryAttempts += 1
        self.reentrySucceeded = raw_call(self.target, self.payload, revert_on_failure=False)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._reenter()
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    self._reenter()
    self.allowance[sender][msg.sender] -= amount
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    return True
