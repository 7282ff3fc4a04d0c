// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHalo2Verifier} from "../../contracts/interfaces/IHalo2Verifier.sol";

/// @dev A verifier the tests control: it accepts, returns false or reverts, whatever the proof.
/// Registry logic is tested against it; real proofs are tested in AlertRegistryFixture.t.sol.
contract MockHalo2Verifier is IHalo2Verifier {
    enum Mode {
        Accept,
        Reject,
        Revert
    }

    error MockHalo2VerifierRejected();

    Mode public mode;

    /// @dev Read at run time, so it is embedded in the runtime code: every mock deployment has its
    /// own code hash, as two EZKL verifiers with different keys do (the registry allows one model
    /// per verifier code hash).
    uint256 private immutable _deployment = uint256(uint160(address(this)));

    function deployment() external view returns (uint256) {
        return _deployment;
    }

    function setMode(Mode newMode) external {
        mode = newMode;
    }

    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        Mode current = mode;
        if (current == Mode.Revert) revert MockHalo2VerifierRejected();
        return current == Mode.Accept;
    }
}

/// @dev A verifier that answers with something other than exactly `true`.
contract SloppyVerifier {
    uint256 public immutable answer;
    uint256 public immutable words;

    constructor(uint256 answer_, uint256 words_) {
        answer = answer_;
        words = words_;
    }

    fallback() external {
        uint256 value = answer;
        uint256 size = words * 32;
        assembly {
            for { let i := 0 } lt(i, size) { i := add(i, 0x20) } { mstore(i, value) }
            return(0, size)
        }
    }
}
