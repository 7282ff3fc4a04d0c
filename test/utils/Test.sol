// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @dev Minimal stand-in for forge-std's `Test` (not installable offline). Assertions forward to
/// forge's assertion cheatcodes, which revert with a readable message; forge reports a reverting
/// test or invariant as failed.
abstract contract Test {
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @dev The shape forge expects from `targetSelectors()`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    FuzzSelector[] private _targetedSelectors;

    // ------------------------------------------------------------ invariant targets
    // forge calls these public getters to decide what the invariant fuzzer may call.

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetedSelectors.push(selector);
    }

    // ------------------------------------------------------------ assertions

    function assertTrue(bool condition) internal pure {
        vm.assertTrue(condition, "assertTrue");
    }

    function assertTrue(bool condition, string memory err) internal pure {
        vm.assertTrue(condition, err);
    }

    function assertFalse(bool condition) internal pure {
        vm.assertFalse(condition, "assertFalse");
    }

    function assertFalse(bool condition, string memory err) internal pure {
        vm.assertFalse(condition, err);
    }

    function assertEq(bool left, bool right) internal pure {
        vm.assertEq(left, right, "assertEq(bool)");
    }

    function assertEq(bool left, bool right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(uint256 left, uint256 right) internal pure {
        vm.assertEq(left, right, "assertEq(uint256)");
    }

    function assertEq(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(address left, address right) internal pure {
        vm.assertEq(left, right, "assertEq(address)");
    }

    function assertEq(address left, address right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        vm.assertEq(left, right, "assertEq(bytes32)");
    }

    function assertEq(bytes32 left, bytes32 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(string memory left, string memory right) internal pure {
        vm.assertEq(left, right, "assertEq(string)");
    }

    function assertEq(bytes memory left, bytes memory right) internal pure {
        vm.assertEq(left, right, "assertEq(bytes)");
    }

    function assertNotEq(bytes32 left, bytes32 right) internal pure {
        vm.assertNotEq(left, right, "assertNotEq(bytes32)");
    }

    function assertLt(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertLt(left, right, err);
    }

    function assertGe(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertGe(left, right, err);
    }

    // ------------------------------------------------------------ fuzzing helpers

    /// @dev Clamps `x` into [min, max]. Values already in range are kept, and the fuzzer's
    /// favourite edge values stay at the edges (0, 1, 2, 3 map to min, min+1, ...; the largest
    /// uint256 values map to max, max-1, ...), so boundaries keep being exercised.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        vm.assertTrue(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        // The range is not all of uint256 here (else x would be in it), so size cannot overflow.
        uint256 size = max - min + 1;
        if (x <= 3 && size > x) return min + x;
        if (x >= type(uint256).max - 3 && size > type(uint256).max - x) {
            return max - (type(uint256).max - x);
        }
        return min + (x % size);
    }

    /// @dev A deterministic, labelled address for a role name.
    function makeAddr(string memory name) internal returns (address account) {
        account = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(account, name);
    }
}
