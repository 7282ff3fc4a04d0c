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

    function setMode(Mode newMode) external {
        mode = newMode;
    }

    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
        Mode current = mode;
        if (current == Mode.Revert) revert MockHalo2VerifierRejected();
        return current == Mode.Accept;
    }
}
