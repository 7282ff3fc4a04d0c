// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IOwned2Step} from "../contracts/interfaces/IOwned2Step.sol";
import {ITimeSeriesRegistry} from "../contracts/interfaces/ITimeSeriesRegistry.sol";
import {TimeSeriesRegistry} from "../contracts/TimeSeriesRegistry.sol";

/// @dev The two-step handover of contracts/utils/Owned2Step.sol, run against each registry that
/// uses it (each refuses with its own errors): the owner offers, the new owner accepts, and until
/// then the old owner keeps every right.
abstract contract Owned2StepTest is Test {
    IOwned2Step internal owned;
    address internal owner;
    address internal newOwner;
    address internal stranger;

    /// @dev The registry under test, owned by `initialOwner`.
    function _deploy(address initialOwner) internal virtual returns (IOwned2Step);

    /// @dev One of the registry's owner-only actions (allowing `account` as a gateway), as `caller`.
    function _ownerAction(address caller, address account) internal virtual;

    /// @dev Whether `account` is an allowed gateway (what {_ownerAction} changes).
    function _isGateway(address account) internal view virtual returns (bool);

    /// @dev The registry's errors: not the owner, not the pending owner, the zero address as owner.
    function _notOwner(address caller) internal pure virtual returns (bytes memory);
    function _notPendingOwner(address caller, address pending) internal pure virtual returns (bytes memory);
    function _invalidOwner() internal pure virtual returns (bytes memory);

    function setUp() public {
        owner = makeAddr("owner");
        newOwner = makeAddr("newOwner");
        stranger = makeAddr("stranger");
        owned = _deploy(owner);
    }

    function _offer(address to) internal {
        vm.prank(owner);
        owned.transferOwnership(to);
    }

    function test_constructor_noOfferPending() public view {
        assertEq(owned.owner(), owner);
        assertEq(owned.pendingOwner(), address(0));
    }

    function test_transferOwnership_thenAccept() public {
        vm.expectEmit(address(owned));
        emit IOwned2Step.OwnershipTransferStarted(owner, newOwner);
        _offer(newOwner);
        assertEq(owned.owner(), owner, "owner until acceptance");
        assertEq(owned.pendingOwner(), newOwner, "offer");

        vm.expectEmit(address(owned));
        emit IOwned2Step.OwnershipTransferred(owner, newOwner);
        vm.prank(newOwner);
        owned.acceptOwnership();
        assertEq(owned.owner(), newOwner, "owner");
        assertEq(owned.pendingOwner(), address(0), "offer used up");

        // the new owner acts, the old one cannot any more
        _ownerAction(newOwner, newOwner);
        assertTrue(_isGateway(newOwner), "new owner's action");
        vm.expectRevert(_notOwner(owner));
        _ownerAction(owner, owner);
        vm.expectRevert(_notOwner(owner));
        vm.prank(owner);
        owned.transferOwnership(owner);
        // and the offer cannot be accepted twice
        vm.expectRevert(_notPendingOwner(newOwner, address(0)));
        vm.prank(newOwner);
        owned.acceptOwnership();
    }

    function test_transferOwnership_oldOwnerKeepsControlUntilAcceptance() public {
        _offer(newOwner);
        _ownerAction(owner, stranger);
        assertTrue(_isGateway(stranger), "old owner's action after the offer");

        // the pending owner has no right yet
        vm.expectRevert(_notOwner(newOwner));
        _ownerAction(newOwner, newOwner);
        vm.expectRevert(_notOwner(newOwner));
        vm.prank(newOwner);
        owned.transferOwnership(newOwner);
        assertFalse(_isGateway(newOwner), "pending owner's action");

        // the old owner can still move the offer elsewhere
        _offer(stranger);
        assertEq(owned.pendingOwner(), stranger, "second offer replaces the first");
        vm.expectRevert(_notPendingOwner(newOwner, stranger));
        vm.prank(newOwner);
        owned.acceptOwnership();
        assertEq(owned.owner(), owner);
    }

    /// @dev An offer to the owner itself withdraws the pending one (the zero address stays refused).
    function test_transferOwnership_toTheOwnerCancelsTheOffer() public {
        _offer(newOwner);
        vm.expectEmit(address(owned));
        emit IOwned2Step.OwnershipTransferStarted(owner, address(0));
        _offer(owner);
        assertEq(owned.pendingOwner(), address(0), "offer withdrawn");
        vm.expectRevert(_notPendingOwner(newOwner, address(0)));
        vm.prank(newOwner);
        owned.acceptOwnership();
        vm.expectRevert(_notPendingOwner(owner, address(0)));
        vm.prank(owner);
        owned.acceptOwnership();
        assertEq(owned.owner(), owner);
    }

    function test_RevertWhen_transferOwnershipToZeroKeepsThePendingOffer() public {
        _offer(newOwner);
        vm.expectRevert(_invalidOwner());
        _offer(address(0));
        assertEq(owned.pendingOwner(), newOwner, "offer kept");
    }

    /// @dev Without an offer nobody accepts, not even an account calling as the zero address.
    function test_RevertWhen_acceptingWithoutAnOffer() public {
        vm.expectRevert(_notPendingOwner(stranger, address(0)));
        vm.prank(stranger);
        owned.acceptOwnership();
        vm.expectRevert(_notPendingOwner(address(0), address(0)));
        vm.prank(address(0));
        owned.acceptOwnership();
        assertEq(owned.owner(), owner);
    }

    /// @dev Any account other than the pending owner is refused, the owner included; the offer
    /// stays. The concrete twins of the fuzz test below.
    function test_RevertWhen_anotherAccountAccepts() public {
        _checkOnlyThePendingOwnerAccepts(newOwner, stranger);
    }

    function test_RevertWhen_theOwnerAcceptsItsOwnOffer() public {
        _checkOnlyThePendingOwnerAccepts(newOwner, owner);
    }

    function testFuzz_RevertWhen_anotherAccountAccepts(address pending, address caller) public {
        vm.assume(pending != address(0) && pending != owner && caller != pending);
        _checkOnlyThePendingOwnerAccepts(pending, caller);
    }

    function _checkOnlyThePendingOwnerAccepts(address pending, address caller) internal {
        _offer(pending);
        vm.expectRevert(_notPendingOwner(caller, pending));
        vm.prank(caller);
        owned.acceptOwnership();
        assertEq(owned.owner(), owner, "owner kept");
        assertEq(owned.pendingOwner(), pending, "offer kept");

        vm.prank(pending);
        owned.acceptOwnership();
        assertEq(owned.owner(), pending, "the pending owner accepts");
    }
}

contract AlertRegistryOwnershipTest is Owned2StepTest {
    function _deploy(address initialOwner) internal override returns (IOwned2Step) {
        return new AlertRegistry(initialOwner);
    }

    function _ownerAction(address caller, address account) internal override {
        vm.prank(caller);
        AlertRegistry(address(owned)).setGateway(account, true);
    }

    function _isGateway(address account) internal view override returns (bool) {
        return AlertRegistry(address(owned)).isGateway(account);
    }

    function _notOwner(address caller) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnauthorized.selector, caller);
    }

    function _notPendingOwner(address caller, address pending) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(IAlertRegistry.AlertRegistryNotPendingOwner.selector, caller, pending);
    }

    function _invalidOwner() internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidOwner.selector, address(0));
    }
}

contract TimeSeriesRegistryOwnershipTest is Owned2StepTest {
    function _deploy(address initialOwner) internal override returns (IOwned2Step) {
        return new TimeSeriesRegistry(initialOwner);
    }

    function _ownerAction(address caller, address account) internal override {
        vm.prank(caller);
        TimeSeriesRegistry(address(owned)).setGateway(account, true);
    }

    function _isGateway(address account) internal view override returns (bool) {
        return TimeSeriesRegistry(address(owned)).isGateway(account);
    }

    function _notOwner(address caller) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnauthorized.selector, caller);
    }

    function _notPendingOwner(address caller, address pending) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryNotPendingOwner.selector, caller, pending);
    }

    function _invalidOwner() internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInvalidOwner.selector, address(0));
    }
}
