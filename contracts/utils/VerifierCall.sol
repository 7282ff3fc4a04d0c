// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHalo2Verifier} from "../interfaces/IHalo2Verifier.sol";

/// @title VerifierCall
/// @notice How both registries ask an EZKL verifier about a proof: the one place that calls
/// {IHalo2Verifier.verifyProof}.
library VerifierCall {
    /// @dev True only when `verifier` returns exactly 1 (`true`): a revert, `false`, no code, or any
    /// other answer (a short or long return, a word other than 1) counts as a refusal. STATICCALL:
    /// a verifier cannot re-enter or change state. `abi.encodeCall` re-encodes proof and instances
    /// canonically, which matters because EZKL's generated verifier reads parts of the proof at
    /// fixed calldata offsets that hold only for the canonical layout (a registry's own caller may
    /// encode as it likes).
    /// @param verifier The verifier contract (its code is the caller's to have checked).
    /// @param proof The proof bytes.
    /// @param instances The public instances.
    /// @return valid Whether the verifier accepted the proof for `instances`.
    function verifies(address verifier, bytes calldata proof, uint256[] calldata instances)
        internal
        view
        returns (bool valid)
    {
        (bool success, bytes memory result) =
            verifier.staticcall(abi.encodeCall(IHalo2Verifier.verifyProof, (proof, instances)));
        valid = success && result.length == 32 && abi.decode(result, (uint256)) == 1;
    }
}
