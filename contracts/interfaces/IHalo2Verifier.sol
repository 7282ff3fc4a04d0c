// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IHalo2Verifier
/// @notice The entry point of an EZKL (23.x) generated Halo2 verifier contract.
/// @dev Generated verifiers revert on most invalid proofs rather than return false; callers
/// must treat a revert and a `false` return alike.
interface IHalo2Verifier {
    /// @notice Checks a Halo2 proof against its public instances.
    /// @param proof The proof bytes as produced by EZKL (`proof.json`'s `hex_proof`).
    /// @param instances The public instances, each a BN254 scalar field element, in circuit order.
    /// @return True when the proof is valid for `instances`.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external returns (bool);
}
