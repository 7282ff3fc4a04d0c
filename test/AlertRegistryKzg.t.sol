// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";

/// @dev Models whose proofs commit to each window with KZG (EZKL `polycommit`): the instances are the
/// scores only, and window i's commitment is keccak256 of the proof's i-th G1 point. Real EZKL proofs
/// (`test/fixtures/kzg/*.json`, `python -m zkalert.fixtures kzg`) against the verifiers generated for
/// the same circuits. Each fixture's `input_commitments` were computed by EZKL from the windows (witness
/// generation with the vk and SRS), not read from the proof, so these tests check that the registry
/// reads the right bytes of the proof.
contract AlertRegistryKzgTest is Test {
    struct KzgFixture {
        bytes proof;
        uint256[] instances;
        bytes32 modelId;
        uint256 threshold;
        uint256 windowsPerProof;
        uint256[] scores;
        uint256[] inputCommitments;
    }

    bytes32 internal constant STREAM = keccak256("stream/te-reactor-kzg");

    AlertRegistry internal registry;
    IHalo2Verifier internal verifier;
    IHalo2Verifier internal batchVerifier;
    address internal owner;
    address internal gateway;

    function setUp() public {
        KzgFixture memory single = _load("alert_proof.json");
        KzgFixture memory batch = _load("batch_proof.json");
        verifier = IHalo2Verifier(vm.deployCode("FixtureKzgVerifier.sol:FixtureKzgVerifier"));
        batchVerifier = IHalo2Verifier(vm.deployCode("FixtureKzgBatchVerifier.sol:FixtureKzgBatchVerifier"));
        owner = makeAddr("owner");
        gateway = makeAddr("gateway");
        registry = new AlertRegistry(owner);

        vm.startPrank(owner);
        registry.registerModel(
            single.modelId, address(verifier), single.threshold, 1, IAlertRegistry.CommitmentScheme.Kzg
        );
        registry.registerModel(
            batch.modelId, address(batchVerifier), batch.threshold, 2, IAlertRegistry.CommitmentScheme.Kzg
        );
        registry.setGateway(gateway, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
    }

    function _load(string memory name) internal view returns (KzgFixture memory fixture) {
        string memory json = vm.readFile(string.concat("test/fixtures/kzg/", name));
        fixture.proof = vm.parseJsonBytes(json, ".proof");
        fixture.instances = vm.parseJsonUintArray(json, ".instances");
        fixture.modelId = vm.parseJsonBytes32(json, ".model_id");
        fixture.threshold = vm.parseJsonUint(json, ".threshold");
        fixture.windowsPerProof = vm.parseJsonUint(json, ".windows_per_proof");
        fixture.scores = vm.parseJsonUintArray(json, ".scores");
        fixture.inputCommitments = vm.parseJsonUintArray(json, ".input_commitments");
    }

    function _submit(KzgFixture memory fixture, bytes32 prevHash) internal returns (bytes32) {
        vm.prank(gateway);
        return registry.submitAlert(STREAM, fixture.modelId, prevHash, fixture.proof, fixture.instances);
    }

    function _expectRevertNothingRecorded(KzgFixture memory fixture, bytes memory proof, uint256[] memory instances)
        internal
    {
        vm.prank(gateway);
        registry.submitAlert(STREAM, fixture.modelId, bytes32(0), proof, instances);
        assertEq(registry.count(STREAM), 0, "count moved");
        assertEq(registry.head(STREAM), bytes32(0), "head moved");
    }

    // ============================================================ the fixtures and the model

    function test_fixtures_instancesAreScoresOnly() public view {
        string[3] memory names = ["alert_proof.json", "normal_proof.json", "batch_proof.json"];
        for (uint256 i; i < names.length; ++i) {
            KzgFixture memory fixture = _load(names[i]);
            assertEq(fixture.instances.length, fixture.windowsPerProof, "one instance per window");
            assertEq(fixture.inputCommitments.length, fixture.windowsPerProof, "one commitment per window");
            for (uint256 w; w < fixture.windowsPerProof; ++w) {
                assertEq(fixture.instances[w], fixture.scores[w], "instance is the score");
            }
        }
        KzgFixture memory alertFixture = _load("alert_proof.json");
        KzgFixture memory normalFixture = _load("normal_proof.json");
        assertGe(alertFixture.scores[0], alertFixture.threshold, "alert score below threshold");
        assertLt(normalFixture.scores[0], normalFixture.threshold, "normal score not below threshold");
    }

    function test_model_recordsCommitmentScheme() public view {
        KzgFixture memory fixture = _load("alert_proof.json");
        IAlertRegistry.Model memory stored = registry.model(fixture.modelId);
        assertEq(uint256(stored.commitment), uint256(IAlertRegistry.CommitmentScheme.Kzg), "commitment");
        assertEq(stored.windowsPerProof, 1, "windowsPerProof");
        assertEq(stored.verifier, address(verifier), "verifier");
    }

    function test_verifyProof_acceptsKzgFixtureProofs() public {
        KzgFixture memory alertFixture = _load("alert_proof.json");
        KzgFixture memory batch = _load("batch_proof.json");
        assertTrue(verifier.verifyProof(alertFixture.proof, alertFixture.instances), "single");
        assertTrue(batchVerifier.verifyProof(batch.proof, batch.instances), "batch");
    }

    // ============================================================ recording

    function test_submitAlert_recordsKzgCommitmentFromProof() public {
        KzgFixture memory alertFixture = _load("alert_proof.json");
        KzgFixture memory normalFixture = _load("normal_proof.json");
        uint256 commitment = alertFixture.inputCommitments[0];
        // the registry's rule, spelled out: keccak256 of the proof's first 64 bytes
        assertEq(uint256(keccak256(_slice(alertFixture.proof, 0, 64))), commitment, "fixture commitment");

        bytes32 alertHash = AlertChain.alertHash(
            bytes32(0), STREAM, 0, alertFixture.modelId, gateway, commitment, alertFixture.scores[0], true
        );
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(
            STREAM, 0, alertFixture.modelId, alertHash, bytes32(0), gateway, commitment, alertFixture.scores[0], true
        );
        assertEq(_submit(alertFixture, bytes32(0)), alertHash, "head");
        assertEq(
            registry.alertHashOf(AlertChain.statement(alertFixture.modelId, commitment, alertFixture.scores[0])),
            alertHash,
            "statement"
        );

        bytes32 normalHash = AlertChain.alertHash(
            alertHash,
            STREAM,
            1,
            normalFixture.modelId,
            gateway,
            normalFixture.inputCommitments[0],
            normalFixture.scores[0],
            false
        );
        assertEq(_submit(normalFixture, alertHash), normalHash, "second head");
        assertEq(registry.count(STREAM), 2, "count");
    }

    function test_submitAlert_recordsKzgBatchInWindowOrder() public {
        KzgFixture memory batch = _load("batch_proof.json");
        bytes32 first = AlertChain.alertHash(
            bytes32(0),
            STREAM,
            0,
            batch.modelId,
            gateway,
            batch.inputCommitments[0],
            batch.scores[0],
            batch.scores[0] >= batch.threshold
        );
        bytes32 second = AlertChain.alertHash(
            first,
            STREAM,
            1,
            batch.modelId,
            gateway,
            batch.inputCommitments[1],
            batch.scores[1],
            batch.scores[1] >= batch.threshold
        );
        assertEq(_submit(batch, bytes32(0)), second, "head after the batch");
        assertEq(registry.alertHashAt(STREAM, 0), first, "window 0");
        assertEq(registry.alertHashAt(STREAM, 1), second, "window 1");
        assertTrue(batch.inputCommitments[0] != batch.inputCommitments[1], "distinct windows");
    }

    // ============================================================ refusals

    function test_RevertWhen_kzgProofReplayed() public {
        KzgFixture memory alertFixture = _load("alert_proof.json");
        bytes32 head = _submit(alertFixture, bytes32(0));
        bytes32 statement =
            AlertChain.statement(alertFixture.modelId, alertFixture.inputCommitments[0], alertFixture.scores[0]);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, statement));
        _submit(alertFixture, head);
    }

    /// @dev The commitment is bound by the proof: change one byte of the G1 point and the verifier refuses.
    function test_RevertWhen_kzgCommitmentPointTampered() public {
        KzgFixture memory alertFixture = _load("alert_proof.json");
        uint256[2] memory positions = [uint256(5), uint256(40)];
        for (uint256 i; i < positions.length; ++i) {
            bytes memory tampered = bytes.concat(alertFixture.proof);
            tampered[positions[i]] ^= 0x01;
            vm.expectRevert(
                abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId)
            );
            _expectRevertNothingRecorded(alertFixture, tampered, alertFixture.instances);
        }
    }

    /// @dev Swapping the two windows' points would reorder the windows: the proof no longer verifies.
    function test_RevertWhen_kzgBatchPointsSwapped() public {
        KzgFixture memory batch = _load("batch_proof.json");
        bytes memory swapped = bytes.concat(
            _slice(batch.proof, 64, 64), _slice(batch.proof, 0, 64), _slice(batch.proof, 128, batch.proof.length - 128)
        );
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, batch.modelId));
        _expectRevertNothingRecorded(batch, swapped, batch.instances);
    }

    function test_RevertWhen_kzgScoreTampered() public {
        KzgFixture memory alertFixture = _load("alert_proof.json");
        uint256[] memory instances = new uint256[](1);
        instances[0] = alertFixture.scores[0] - 1;
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        _expectRevertNothingRecorded(alertFixture, alertFixture.proof, instances);
    }

    /// @dev A Poseidon-style instance layout `[c, s]` is refused by a KZG model before verification.
    function test_RevertWhen_kzgModelGetsPoseidonLayout() public {
        KzgFixture memory alertFixture = _load("alert_proof.json");
        uint256[] memory instances =
            AlertChain.single(alertFixture.inputCommitments[0] % AlertChain.FIELD_MODULUS, alertFixture.scores[0]);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 1, 2));
        _expectRevertNothingRecorded(alertFixture, alertFixture.proof, instances);
    }

    function test_RevertWhen_kzgProofTooShort() public {
        KzgFixture memory batch = _load("batch_proof.json");
        bytes memory short = _slice(batch.proof, 0, 100);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryProofTooShort.selector, 128, 100));
        _expectRevertNothingRecorded(batch, short, batch.instances);
    }

    function _slice(bytes memory data, uint256 start, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i; i < length; ++i) {
            out[i] = data[start + i];
        }
    }
}
