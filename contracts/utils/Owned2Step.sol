// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOwned2Step} from "../interfaces/IOwned2Step.sol";

/// @title Owned2Step
/// @notice Two-step ownership for AlertRegistry and TimeSeriesRegistry (see {IOwned2Step}).
/// @dev OpenZeppelin's Ownable2Step is not used: its errors (OwnableUnauthorizedAccount,
/// OwnableInvalidOwner) would replace the registries' own (AlertRegistryUnauthorized,
/// TimeSeriesRegistryInvalidOwner, ...), which their tests assert and the Python side decodes, and
/// it accepts a transfer to the zero address, which the registries refuse. Here each refusal goes
/// through a hook that the contract implements by reverting with its own error; a hook must
/// always revert.
abstract contract Owned2Step is IOwned2Step {
    address private _owner;
    address private _pendingOwner;

    /// @dev Only the owner; any other caller meets {_revertNotOwner}.
    modifier onlyOwner() {
        if (msg.sender != _owner) _revertNotOwner(msg.sender);
        _;
    }

    /// @param initialOwner The first owner; not the zero address ({_revertInvalidOwner}).
    constructor(address initialOwner) {
        if (initialOwner == address(0)) _revertInvalidOwner(initialOwner);
        _owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    /// @inheritdoc IOwned2Step
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) _revertInvalidOwner(newOwner);
        address pending = newOwner == msg.sender ? address(0) : newOwner;
        _pendingOwner = pending;
        emit OwnershipTransferStarted(msg.sender, pending);
    }

    /// @inheritdoc IOwned2Step
    function acceptOwnership() external {
        address pending = _pendingOwner;
        // no account holds the zero address's key, but a pending owner of zero means no offer
        if (msg.sender != pending || pending == address(0)) _revertNotPendingOwner(msg.sender, pending);
        address previousOwner = _owner;
        _owner = pending;
        delete _pendingOwner;
        emit OwnershipTransferred(previousOwner, pending);
    }

    /// @inheritdoc IOwned2Step
    function owner() external view returns (address) {
        return _owner;
    }

    /// @inheritdoc IOwned2Step
    function pendingOwner() external view returns (address) {
        return _pendingOwner;
    }

    /// @dev Reverts with the contract's error for a caller that is not the owner.
    function _revertNotOwner(address caller) internal pure virtual;

    /// @dev Reverts with the contract's error for an acceptance by another account than the
    /// pending owner (`pending`, zero when no offer is pending).
    function _revertNotPendingOwner(address caller, address pending) internal pure virtual;

    /// @dev Reverts with the contract's error for the zero address as owner.
    function _revertInvalidOwner(address newOwner) internal pure virtual;
}
