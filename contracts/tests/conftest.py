"""Fixtures: one chain per test session (chain id 31337, the clock inside the vectors' grant window), the escrow and
TestUSDC deployed at the vectors' addresses, and every test run inside a snapshot that is reverted afterwards."""

import boa
import pytest

import escrow_kit as kit

# Inside the vectors' grants (validAfter 1764000000, validUntil 1766592000), so their signed grants are live.
START_TIME = 1_764_000_100


@pytest.fixture(scope="session", autouse=True)
def chain():
    boa.env.evm.patch.chain_id = kit.CHAIN_ID
    boa.env.timestamp = START_TIME
    yield boa.env


@pytest.fixture(autouse=True)
def isolated(chain):
    with boa.env.anchor():
        yield


@pytest.fixture
def escrow(chain):
    return kit.deploy_escrow()


@pytest.fixture
def usdc(chain):
    return kit.deploy_usdc()


@pytest.fixture
def owner():
    return kit.address_of(kit.OWNER_KEY)


@pytest.fixture
def session_key():
    return kit.address_of(kit.SESSION_KEY)


@pytest.fixture
def hostile(escrow, owner):
    """A ReentrantToken (contracts/test/ReentrantToken.vy), with 10 of it in the owner's escrow; not armed yet."""
    token = kit.deployer("test/ReentrantToken").deploy()
    token.mint(owner, 10_000_000)
    token.approve(escrow.address, 10_000_000, sender=owner)
    escrow.deposit(token.address, 10_000_000, sender=owner)
    return token


@pytest.fixture
def grant(escrow, usdc, owner, session_key):
    """The owner has 100 USDC in escrow and a registered 50 USDC grant for the session key, payee PAYEE."""
    kit.fund(usdc, escrow, owner, 100_000_000)
    message = kit.grant_message(owner, session_key, usdc.address)
    return kit.register(escrow, message), message
