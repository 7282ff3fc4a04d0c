// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {BaseScript} from "../script/Base.s.sol";

/// @dev The deploy scripts' choice of broadcaster, without the environment it is read from.
contract BroadcasterHarness is BaseScript {
    function broadcasterFor(address sender, uint256 envKey, uint256 chainId, uint256[] memory devChains)
        external
        pure
        returns (address broadcaster, uint256 key)
    {
        return _broadcasterFor(sender, envKey, chainId, devChains);
    }

    function isWellKnownAccount(address account) external pure returns (bool) {
        return _isWellKnownAccount(account);
    }
}

/// @notice Who broadcasts a deployment: forge's wallet, PRIVATE_KEY, or anvil's account 0 on a
/// development chain, and never one of anvil's public accounts anywhere else.
contract BaseScriptBroadcasterTest is Test {
    string internal constant DEV_MNEMONIC = "test test test test test test test test test test test junk";
    address internal constant FORGE_DEFAULT_SENDER = 0x1804c8AB1F12E6bbf3894d4083f33e07309d1f38;
    uint256 internal constant ANVIL_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    uint256 internal constant OPERATOR_KEY = 0xa11ce;
    uint256 internal constant MAINNET = 1;

    BroadcasterHarness internal harness;
    uint256[] internal none;

    function setUp() public {
        harness = new BroadcasterHarness();
    }

    function test_broadcasterFor_forgeWalletSignsOnAnyChain() public view {
        address operator = vm.addr(OPERATOR_KEY);
        (address broadcaster, uint256 key) = harness.broadcasterFor(operator, 0, MAINNET, none);
        vm.assertEq(broadcaster, operator, "the wallet forge calls run from");
        vm.assertEq(key, 0, "forge's wallet signs: the script holds no key");
    }

    function test_broadcasterFor_privateKeySignsOnAnyChain() public view {
        (address broadcaster, uint256 key) =
            harness.broadcasterFor(FORGE_DEFAULT_SENDER, OPERATOR_KEY, MAINNET, none);
        vm.assertEq(broadcaster, vm.addr(OPERATOR_KEY), "PRIVATE_KEY's account");
        vm.assertEq(key, OPERATOR_KEY, "the script broadcasts with the key");
    }

    function test_broadcasterFor_anvilAccountZeroWhenNothingIsGivenOnADevelopmentChain() public view {
        (address broadcaster, uint256 key) = harness.broadcasterFor(FORGE_DEFAULT_SENDER, 0, 31337, none);
        vm.assertEq(broadcaster, vm.addr(ANVIL_KEY_0), "anvil's account 0 on 31337");
        (broadcaster,) = harness.broadcasterFor(FORGE_DEFAULT_SENDER, 0, 1337, none);
        vm.assertEq(broadcaster, vm.addr(ANVIL_KEY_0), "anvil's account 0 on 1337");
        vm.assertEq(key, ANVIL_KEY_0, "the script broadcasts with it");
    }

    function test_broadcasterFor_listedChainIsADevelopmentChain() public view {
        uint256[] memory listed = new uint256[](2);
        (listed[0], listed[1]) = (31999, 4242);
        (address broadcaster,) = harness.broadcasterFor(FORGE_DEFAULT_SENDER, ANVIL_KEY_0, 4242, listed);
        vm.assertEq(broadcaster, vm.addr(ANVIL_KEY_0), "ZKALERT_DEV_CHAINS lists 4242");
    }

    function test_RevertWhen_nothingIsGivenOnAPublicChain() public {
        vm.expectRevert(abi.encodeWithSelector(BaseScript.DeployNoBroadcaster.selector, MAINNET));
        harness.broadcasterFor(FORGE_DEFAULT_SENDER, 0, MAINNET, none);
    }

    function test_RevertWhen_anvilKeyZeroIsThePrivateKeyOnAPublicChain() public {
        vm.expectRevert(
            abi.encodeWithSelector(BaseScript.DeployDevelopmentKeyRefused.selector, vm.addr(ANVIL_KEY_0), MAINNET)
        );
        harness.broadcasterFor(FORGE_DEFAULT_SENDER, ANVIL_KEY_0, MAINNET, none);
    }

    function test_RevertWhen_anUnlistedChainSeesAnAnvilKey() public {
        uint256[] memory listed = new uint256[](1);
        listed[0] = 31999;
        vm.expectRevert(
            abi.encodeWithSelector(BaseScript.DeployDevelopmentKeyRefused.selector, vm.addr(ANVIL_KEY_0), 4242)
        );
        harness.broadcasterFor(FORGE_DEFAULT_SENDER, ANVIL_KEY_0, 4242, listed);
    }

    /// @dev A keystore holding one of the public keys is refused too: the account, not the
    /// wallet's format, is what anyone can sign for.
    function testFuzz_RevertWhen_aWellKnownAccountSignsOnAPublicChain(uint8 index, uint256 chainId, bool wallet)
        public
    {
        index = index % 10;
        vm.assume(chainId != 31337 && chainId != 1337);
        uint256 key = vm.deriveKey(DEV_MNEMONIC, index);
        address account = vm.addr(key);
        vm.expectRevert(abi.encodeWithSelector(BaseScript.DeployDevelopmentKeyRefused.selector, account, chainId));
        if (wallet) harness.broadcasterFor(account, 0, chainId, none);
        else harness.broadcasterFor(FORGE_DEFAULT_SENDER, key, chainId, none);
    }

    function test_isWellKnownAccount_holdsTheTenAccountsOfTheDefaultMnemonic() public view {
        for (uint32 i; i < 10; ++i) {
            vm.assertTrue(
                harness.isWellKnownAccount(vm.addr(vm.deriveKey(DEV_MNEMONIC, i))), "an anvil account is listed"
            );
        }
        vm.assertFalse(harness.isWellKnownAccount(vm.addr(vm.deriveKey(DEV_MNEMONIC, 10))), "account 10 is not");
        vm.assertFalse(harness.isWellKnownAccount(vm.addr(OPERATOR_KEY)), "another account is not");
    }
}
