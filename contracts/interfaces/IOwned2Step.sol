// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IOwned2Step
/// @notice Ownership handed over in two steps, as AlertRegistry and TimeSeriesRegistry do it: the
/// owner offers the contract to a new owner with {transferOwnership}, and the offer takes effect
/// only when that account calls {acceptOwnership}. A mistyped or unreachable address therefore
/// never becomes the owner, and the current owner keeps every right until the acceptance.
/// @dev The errors are each contract's own (e.g. AlertRegistryUnauthorized,
/// AlertRegistryNotPendingOwner, AlertRegistryInvalidOwner), declared in its interface, so a
/// revert names the contract that refused.
interface IOwned2Step {
    /// @notice The owner offered the contract to `newOwner`, who becomes the owner on
    /// {acceptOwnership}. `newOwner` is zero when the owner withdrew its offer.
    /// @param previousOwner The owner, who stays owner until the offer is accepted.
    /// @param newOwner The pending owner (zero: no offer pending any more).
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    /// @notice Ownership moved from `previousOwner` to `newOwner` (previousOwner is zero at
    /// deployment; afterwards emitted when the pending owner accepts).
    /// @param previousOwner The former owner.
    /// @param newOwner The new owner.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice Offers the contract to `newOwner`; the owner keeps it, and every right it carries,
    /// until `newOwner` calls {acceptOwnership}. A second offer replaces the first; an offer to the
    /// owner itself withdraws a pending one.
    /// @dev Only the owner (the contract's Unauthorized error otherwise). Reverts with the
    /// contract's InvalidOwner error for the zero address. Emits {OwnershipTransferStarted}, with a
    /// zero `newOwner` when the offer is withdrawn.
    /// @param newOwner The account that may accept ownership; not the zero address.
    function transferOwnership(address newOwner) external;

    /// @notice Takes the ownership the owner offered to the caller.
    /// @dev Only the pending owner (the contract's NotPendingOwner error otherwise, also when no
    /// offer is pending). Clears the offer. Emits {OwnershipTransferred}.
    function acceptOwnership() external;

    /// @notice The owner.
    /// @return The account allowed to call the owner's functions.
    function owner() external view returns (address);

    /// @notice The account the owner offered the contract to, which has not accepted yet.
    /// @return The pending owner; zero when no offer is pending.
    function pendingOwner() external view returns (address);
}
