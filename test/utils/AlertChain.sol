// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The registry's hash chain recomputed off-chain, written out independently of the
/// contract so tests compare against the specification rather than against the code under test.
/// The Python side recomputes the same with eth_abi
/// `encode(["bytes32","bytes32","uint64","bytes32","address","uint256","uint256","bool"], ...)`.
library AlertChain {
    /// @dev The BN254 scalar field modulus r.
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function alertHash(
        bytes32 prevHead,
        bytes32 streamId,
        uint64 seq,
        bytes32 modelId,
        address gateway,
        uint256 inputCommitment,
        uint256 score,
        bool alarm
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(prevHead, streamId, seq, modelId, gateway, inputCommitment, score, alarm));
    }

    function statement(bytes32 modelId, uint256 inputCommitment, uint256 score) internal pure returns (bytes32) {
        return keccak256(abi.encode(modelId, inputCommitment, score));
    }

    /// @dev `[c_1, ..., c_B, s_1, ..., s_B]`.
    function instances(uint256[] memory commitments, uint256[] memory scores)
        internal
        pure
        returns (uint256[] memory packed)
    {
        uint256 windows = commitments.length;
        packed = new uint256[](2 * windows);
        for (uint256 i; i < windows; ++i) {
            packed[i] = commitments[i];
            packed[windows + i] = scores[i];
        }
    }

    function single(uint256 inputCommitment, uint256 score) internal pure returns (uint256[] memory packed) {
        packed = new uint256[](2);
        packed[0] = inputCommitment;
        packed[1] = score;
    }
}
