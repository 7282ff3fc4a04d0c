// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IHalo2VerifierReusable
/// @notice EZKL's (23.x) reusable Halo2 verifier: one contract for every circuit, each circuit's
/// verifying key passed in as its verifying-key artifact (VKA), registered once by its digest.
/// @dev `verifyProof` answers (1, keccak256 of the VKA's words, the rescaled instances) for a
/// valid proof, packed from memory offset 0 (not ABI-encoded past the first two words), and
/// reverts on an invalid one or an unregistered VKA.
interface IHalo2VerifierReusable {
    /// @notice Registers a VKA (anyone may); returns keccak256 of its words.
    function registerVka(bytes32[] memory vka) external returns (bytes32 vkaDigest);

    /// @notice Checks a proof against its public instances under the circuit of `vka`.
    function verifyProof(bytes calldata proof, uint256[] calldata instances, bytes32[] memory vka)
        external
        returns (bool success, bytes32 vkaDigest, int256[] memory rescaledInstances);
}
