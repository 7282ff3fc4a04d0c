// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";

/// @dev The real EZKL proofs of test/fixtures/ and the verifiers generated with them, for the forge
/// tests that inherit this base (as Uniswap v4-core's tests inherit test/utils/Deployers.sol): one
/// loader per kind of fixture, the streams they were proven for, and the verifiers' artifact names.
/// `make fixtures` writes the single-window fixtures (Poseidon and KZG) and the attack fixtures,
/// `make fixtures-ts` the time-series ones; each set together with its verifiers (the verifiers
/// embed the keys the proofs were made under).
///
/// Tests read fixtures into memory rather than keeping them in storage where they can, so the
/// snapshot's gas figures are not inflated by SLOADs of a 4 KB proof. Paths are relative to the
/// project root (forge resolves them there): an absolute path would make the tests' gas depend on
/// where the repository is checked out.
abstract contract ProofFixtures is Test {
    /// @dev One single-window proof committing to its window with Poseidon: `{"proof", "instances",
    /// "model_id", "threshold", "windows_per_proof", "score", "input_commitment", "binding":
    /// {"gateway", "stream_id", "index"}, "binding_value"}`; instances are `[input_commitment, score,
    /// l_0, ..., l_4]`, the limbs of binding_value (28 bits each, low limb first).
    struct ProofFixture {
        bytes proof;
        uint256[] instances;
        bytes32 modelId;
        uint256 threshold;
        uint256 windowsPerProof;
        uint256 score;
        uint256 inputCommitment;
        address gateway;
        bytes32 streamId;
        /// @dev The window index the proof is bound to (with `gateway` and `streamId`).
        uint64 index;
        /// @dev The 140-bit binding (`binding_value`).
        uint256 binding;
    }

    /// @dev One proof of a model committing to each window with KZG (one or more windows): the
    /// instances are the scores, then the windows' binding limbs.
    struct KzgFixture {
        bytes proof;
        uint256[] instances;
        bytes32 modelId;
        uint256 threshold;
        uint256 windowsPerProof;
        uint256[] scores;
        uint256[] inputCommitments;
        /// @dev The windows' 140-bit bindings (their limbs are in `instances`).
        uint256[] bindings;
        /// @dev The first window's index (window i is bound to index + i).
        uint64 index;
    }

    /// @dev One time-series proof (a TC interval or an SC window).
    struct TsFixture {
        bytes proof;
        uint256[] instances;
    }

    string internal constant FIXTURES = "test/fixtures/";
    string internal constant KZG_FIXTURES = "test/fixtures/kzg/";
    string internal constant TS_FIXTURES = "test/fixtures/ts/";

    /// @dev The stream every Poseidon fixture was proven for.
    bytes32 internal constant FIXTURE_STREAM = keccak256("fixture/te");
    /// @dev The stream every KZG fixture was proven for.
    bytes32 internal constant KZG_FIXTURE_STREAM = keccak256("fixture/te-kzg");

    /// @dev The generated verifiers (test/generated/), deployed with deployCode rather than imported
    /// so that the rest of the suite builds without them.
    string internal constant FIXTURE_VERIFIER = "FixtureVerifier.sol:FixtureVerifier";
    /// @dev Another circuit's verifier (5 epochs, seed 1), with test/fixtures/foreign_proof.json.
    string internal constant FOREIGN_VERIFIER = "ForeignVerifier.sol:ForeignVerifier";
    string internal constant KZG_VERIFIER = "FixtureKzgVerifier.sol:FixtureKzgVerifier";
    string internal constant KZG_BATCH_VERIFIER = "FixtureKzgBatchVerifier.sol:FixtureKzgBatchVerifier";
    string internal constant TS_TC_VERIFIER = "TsFixtureTcVerifier.sol:TsFixtureTcVerifier";
    string internal constant TS_SC_VERIFIER = "TsFixtureScVerifier.sol:TsFixtureScVerifier";
    /// @dev The TC verifier of another detector (the rotation tests' second model).
    string internal constant TS_OTHER_TC_VERIFIER = "TsFixtureOtherTcVerifier.sol:TsFixtureOtherTcVerifier";

    /// @dev A Poseidon fixture of test/fixtures/, e.g. "alert_proof.json".
    function _loadFixture(string memory name) internal view returns (ProofFixture memory fixture) {
        string memory json = vm.readFile(string.concat(FIXTURES, name));
        fixture.proof = vm.parseJsonBytes(json, ".proof");
        fixture.instances = vm.parseJsonUintArray(json, ".instances");
        fixture.modelId = vm.parseJsonBytes32(json, ".model_id");
        fixture.threshold = vm.parseJsonUint(json, ".threshold");
        fixture.windowsPerProof = vm.parseJsonUint(json, ".windows_per_proof");
        fixture.score = vm.parseJsonUint(json, ".score");
        fixture.inputCommitment = vm.parseJsonUint(json, ".input_commitment");
        fixture.gateway = vm.parseJsonAddress(json, ".binding.gateway");
        fixture.streamId = vm.parseJsonBytes32(json, ".binding.stream_id");
        fixture.index = uint64(vm.parseJsonUint(json, ".binding.index"));
        fixture.binding = vm.parseJsonUint(json, ".binding_value");
    }

    /// @dev A KZG fixture of test/fixtures/kzg/, e.g. "batch_proof.json"; fails unless it was proven
    /// for {KZG_FIXTURE_STREAM}.
    function _loadKzgFixture(string memory name) internal view returns (KzgFixture memory fixture) {
        string memory json = vm.readFile(string.concat(KZG_FIXTURES, name));
        fixture.proof = vm.parseJsonBytes(json, ".proof");
        fixture.instances = vm.parseJsonUintArray(json, ".instances");
        fixture.modelId = vm.parseJsonBytes32(json, ".model_id");
        fixture.threshold = vm.parseJsonUint(json, ".threshold");
        fixture.windowsPerProof = vm.parseJsonUint(json, ".windows_per_proof");
        fixture.scores = vm.parseJsonUintArray(json, ".scores");
        fixture.inputCommitments = vm.parseJsonUintArray(json, ".input_commitments");
        fixture.bindings = vm.parseJsonUintArray(json, ".bindings");
        fixture.index = uint64(vm.parseJsonUint(json, ".binding.index"));
        assertEq(
            vm.parseJsonBytes32(json, ".binding.stream_id"), KZG_FIXTURE_STREAM, "fixture proven for another stream"
        );
    }

    /// @dev A time-series fixture of test/fixtures/ts/ by name, e.g. "tc0" or "sc1".
    function _loadTsFixture(string memory name) internal view returns (TsFixture memory f) {
        string memory json = vm.readFile(string.concat(TS_FIXTURES, name, ".json"));
        f.proof = vm.parseJsonBytes(json, ".proof");
        f.instances = vm.parseJsonUintArray(json, ".instances");
    }
}
