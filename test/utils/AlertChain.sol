// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The registry's hash chain and window bindings recomputed off-chain, written out
/// independently of the contract so tests compare against the specification rather than against
/// the code under test. The Python side recomputes the same with eth_abi
/// `encode(["bytes32","bytes32","uint64","uint64","bytes32","address","uint256","uint256","bool"], ...)`
/// (alert hash) and `encode(["address","bytes32","uint64"], ...)` (binding, then mod r).
library AlertChain {
    /// @dev The BN254 scalar field modulus r.
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function alertHash(
        bytes32 prevHead,
        bytes32 streamId,
        uint64 seq,
        uint64 windowIndex,
        bytes32 modelId,
        address gateway,
        uint256 inputCommitment,
        uint256 score,
        bool alarm
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(prevHead, streamId, seq, windowIndex, modelId, gateway, inputCommitment, score, alarm)
        );
    }

    function statement(bytes32 modelId, uint256 inputCommitment, uint256 score) internal pure returns (bytes32) {
        return keccak256(abi.encode(modelId, inputCommitment, score));
    }

    /// @dev The binding instance of the window `windowIndex` of `streamId` submitted by `gateway`.
    function binding(address gateway, bytes32 streamId, uint64 windowIndex) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(gateway, streamId, windowIndex))) % FIELD_MODULUS;
    }

    /// @dev `[b_1, ..., b_B]` of B windows from `firstIndex` on.
    function bindings(address gateway, bytes32 streamId, uint64 firstIndex, uint256 windows)
        internal
        pure
        returns (uint256[] memory values)
    {
        values = new uint256[](windows);
        for (uint256 i; i < windows; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            values[i] = binding(gateway, streamId, firstIndex + uint64(i));
        }
    }

    /// @dev `[c_1, ..., c_B, s_1, ..., s_B, b_1, ..., b_B]` (Poseidon layout).
    function instances(uint256[] memory commitments, uint256[] memory scores, uint256[] memory bindingValues)
        internal
        pure
        returns (uint256[] memory packed)
    {
        uint256 windows = commitments.length;
        packed = new uint256[](3 * windows);
        for (uint256 i; i < windows; ++i) {
            packed[i] = commitments[i];
            packed[windows + i] = scores[i];
            packed[2 * windows + i] = bindingValues[i];
        }
    }

    /// @dev The Poseidon layout with the bindings `gateway` needs for windows `firstIndex ..` of `streamId`.
    function instances(
        uint256[] memory commitments,
        uint256[] memory scores,
        address gateway,
        bytes32 streamId,
        uint64 firstIndex
    ) internal pure returns (uint256[] memory packed) {
        return instances(commitments, scores, bindings(gateway, streamId, firstIndex, commitments.length));
    }

    /// @dev `[c, s, b]`: one window with the binding as given.
    function single(uint256 inputCommitment, uint256 score, uint256 bindingValue)
        internal
        pure
        returns (uint256[] memory packed)
    {
        packed = new uint256[](3);
        packed[0] = inputCommitment;
        packed[1] = score;
        packed[2] = bindingValue;
    }

    /// @dev `[c, s, b]`: one window bound to index `windowIndex` of `streamId` submitted by `gateway`.
    function single(uint256 inputCommitment, uint256 score, address gateway, bytes32 streamId, uint64 windowIndex)
        internal
        pure
        returns (uint256[] memory packed)
    {
        return single(inputCommitment, score, binding(gateway, streamId, windowIndex));
    }
}
