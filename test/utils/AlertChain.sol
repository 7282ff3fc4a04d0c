// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The registry's hash chain and window bindings recomputed off-chain, written out
/// independently of the contract so tests compare against the specification rather than against
/// the code under test. The Python side recomputes the same with eth_abi
/// `encode(["bytes32","bytes32","uint64","uint64","bytes32","address","uint256","uint256","bool"], ...)`
/// (alert hash) and `encode(["address","bytes32","uint64"], ...)` (binding: the low 140 bits of its
/// keccak256, carried as five 28-bit limbs, low limb first).
library AlertChain {
    /// @dev Instances that carry one window's binding, and the bits of each.
    uint256 internal constant BINDING_LIMBS = 5;
    uint256 internal constant BINDING_LIMB_BITS = 28;
    /// @dev A binding is below 2^140 = 2^(BINDING_LIMBS * BINDING_LIMB_BITS).
    uint256 internal constant BINDING_BOUND = 2 ** 140;
    /// @dev A limb is below 2^28.
    uint256 internal constant LIMB_BOUND = 2 ** 28;

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

    /// @dev The binding of the window `windowIndex` of `streamId` submitted by `gateway`: the low
    /// 140 bits of the keccak256.
    function binding(address gateway, bytes32 streamId, uint64 windowIndex) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(gateway, streamId, windowIndex))) % BINDING_BOUND;
    }

    /// @dev `[l_0, ..., l_4]`: the limbs of `value`, low limb first, l_k = floor(value / 2^(28k)) mod 2^28.
    function limbs(uint256 value) internal pure returns (uint256[] memory values) {
        values = new uint256[](BINDING_LIMBS);
        for (uint256 k; k < BINDING_LIMBS; ++k) {
            values[k] = (value / LIMB_BOUND ** k) % LIMB_BOUND;
        }
    }

    /// @dev sum over k of values[start + k] * 2^(28k): the limbs at `start` recomposed (no limb is
    /// reduced, so out-of-range limbs carry into the next; the tests keep the sum below 2^256).
    function recompose(uint256[] memory values, uint256 start) internal pure returns (uint256 sum) {
        for (uint256 k; k < BINDING_LIMBS; ++k) {
            sum += values[start + k] * LIMB_BOUND ** k;
        }
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

    /// @dev `[limbs(b_1), ..., limbs(b_B)]`: 5B limbs.
    function bindingLimbs(uint256[] memory bindingValues) internal pure returns (uint256[] memory packed) {
        packed = new uint256[](BINDING_LIMBS * bindingValues.length);
        for (uint256 i; i < bindingValues.length; ++i) {
            uint256[] memory windowLimbs = limbs(bindingValues[i]);
            for (uint256 k; k < BINDING_LIMBS; ++k) {
                packed[BINDING_LIMBS * i + k] = windowLimbs[k];
            }
        }
    }

    /// @dev The position of window `window`'s limb `limb` in the Poseidon layout of `windows` windows.
    function limbSlot(uint256 windows, uint256 window, uint256 limb) internal pure returns (uint256) {
        return 2 * windows + BINDING_LIMBS * window + limb;
    }

    /// @dev `[c_1, ..., c_B, s_1, ..., s_B, l_1, ..., l_5B]` (Poseidon layout) with the limbs as given.
    function instancesWithLimbs(uint256[] memory commitments, uint256[] memory scores, uint256[] memory limbValues)
        internal
        pure
        returns (uint256[] memory packed)
    {
        uint256 windows = commitments.length;
        packed = new uint256[]((2 + BINDING_LIMBS) * windows);
        for (uint256 i; i < windows; ++i) {
            packed[i] = commitments[i];
            packed[windows + i] = scores[i];
        }
        for (uint256 j; j < BINDING_LIMBS * windows; ++j) {
            packed[2 * windows + j] = limbValues[j];
        }
    }

    /// @dev `[c_1, ..., c_B, s_1, ..., s_B, limbs(b_1), ..., limbs(b_B)]` (Poseidon layout).
    function instances(uint256[] memory commitments, uint256[] memory scores, uint256[] memory bindingValues)
        internal
        pure
        returns (uint256[] memory packed)
    {
        return instancesWithLimbs(commitments, scores, bindingLimbs(bindingValues));
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

    /// @dev `[s_1, ..., s_B, limbs(b_1), ..., limbs(b_B)]` (KZG layout).
    function kzgInstances(uint256[] memory scores, uint256[] memory bindingValues)
        internal
        pure
        returns (uint256[] memory packed)
    {
        uint256 windows = scores.length;
        uint256[] memory limbValues = bindingLimbs(bindingValues);
        packed = new uint256[]((1 + BINDING_LIMBS) * windows);
        for (uint256 i; i < windows; ++i) {
            packed[i] = scores[i];
        }
        for (uint256 j; j < limbValues.length; ++j) {
            packed[windows + j] = limbValues[j];
        }
    }

    /// @dev `[c, s, l_0, ..., l_4]`: one window with the limbs of the binding as given.
    function single(uint256 inputCommitment, uint256 score, uint256 bindingValue)
        internal
        pure
        returns (uint256[] memory packed)
    {
        uint256[] memory one = new uint256[](1);
        one[0] = bindingValue;
        packed = singleWithLimbs(inputCommitment, score, bindingLimbs(one));
    }

    /// @dev `[c, s, l_0, ..., l_4]`: one window with the limbs as given.
    function singleWithLimbs(uint256 inputCommitment, uint256 score, uint256[] memory limbValues)
        internal
        pure
        returns (uint256[] memory packed)
    {
        uint256[] memory commitments = new uint256[](1);
        uint256[] memory scores = new uint256[](1);
        commitments[0] = inputCommitment;
        scores[0] = score;
        packed = instancesWithLimbs(commitments, scores, limbValues);
    }

    /// @dev `[c, s, l_0, ..., l_4]`: one window bound to index `windowIndex` of `streamId` submitted
    /// by `gateway`.
    function single(uint256 inputCommitment, uint256 score, address gateway, bytes32 streamId, uint64 windowIndex)
        internal
        pure
        returns (uint256[] memory packed)
    {
        return single(inputCommitment, score, binding(gateway, streamId, windowIndex));
    }
}
