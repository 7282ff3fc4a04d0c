// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixtures} from "./utils/ProofFixtures.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev Models whose proofs commit to each window with KZG (EZKL `polycommit`): the instances are the
/// scores then the windows' binding limbs (five per window, low limb first), and window i's commitment is keccak256 of the proof's i-th G1
/// point. Each proof is bound to the fixture gateway, the stream "fixture/te-kzg" and its windows'
/// indexes (alert 0, normal 1, the two-window batch 2 and 3). Real EZKL proofs
/// (`test/fixtures/kzg/*.json`, `python -m zkalert.fixtures kzg`) against the verifiers generated for
/// the same circuits. Each fixture's `input_commitments` were computed by EZKL from the windows (witness
/// generation with the vk and SRS), not read from the proof, so these tests check that the registry
/// reads the right bytes of the proof.
contract AlertRegistryKzgTest is ProofFixtures {
    /// @dev The stream the KZG fixtures were proven for.
    bytes32 internal constant STREAM = KZG_FIXTURE_STREAM;

    AlertRegistry internal registry;
    IHalo2Verifier internal verifier;
    IHalo2Verifier internal batchVerifier;
    address internal owner;
    address internal gateway;

    function setUp() public {
        KzgFixture memory single = _loadKzgFixture("alert_proof.json");
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        verifier = IHalo2Verifier(vm.deployCode(KZG_VERIFIER));
        batchVerifier = IHalo2Verifier(vm.deployCode(KZG_BATCH_VERIFIER));
        owner = makeAddr("owner");
        gateway = vm.parseJsonAddress(vm.readFile("test/fixtures/kzg/alert_proof.json"), ".binding.gateway");
        vm.label(gateway, "gateway");
        registry = new AlertRegistry(owner);

        vm.startPrank(owner);
        registry.registerModel(
            single.modelId, address(verifier), single.threshold, 1, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID
        );
        registry.registerModel(
            batch.modelId, address(batchVerifier), batch.threshold, 2, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
    }

    /// @dev Submits the fixture at the index it is bound to.
    function _submit(KzgFixture memory fixture, bytes32 prevHash) internal returns (bytes32) {
        vm.prank(gateway);
        return registry.submitAlert(STREAM, fixture.modelId, prevHash, fixture.index, fixture.proof, fixture.instances);
    }

    function _expectRevertNothingRecorded(KzgFixture memory fixture, bytes memory proof, uint256[] memory instances)
        internal
    {
        _expectRevertNothingRecordedAt(fixture, fixture.index, proof, instances);
    }

    function _expectRevertNothingRecordedAt(
        KzgFixture memory fixture,
        uint64 firstIndex,
        bytes memory proof,
        uint256[] memory instances
    ) internal {
        vm.prank(gateway);
        registry.submitAlert(STREAM, fixture.modelId, bytes32(0), firstIndex, proof, instances);
        assertEq(registry.count(STREAM), 0, "count moved");
        assertEq(registry.head(STREAM), bytes32(0), "head moved");
        assertEq(registry.nextIndex(STREAM), 0, "nextIndex moved");
    }

    /// @dev `[s_1, ..., s_B, limbs(b_1), ..., limbs(b_B)]`.
    function _instances(uint256[] memory scores, uint256[] memory bindingValues)
        internal
        pure
        returns (uint256[] memory packed)
    {
        return AlertChain.kzgInstances(scores, bindingValues);
    }

    function _one(uint256 a) internal pure returns (uint256[] memory values) {
        values = new uint256[](1);
        values[0] = a;
    }

    function _copy(uint256[] memory values) internal pure returns (uint256[] memory out) {
        out = new uint256[](values.length);
        for (uint256 i; i < values.length; ++i) {
            out[i] = values[i];
        }
    }

    function _pair(uint256 a, uint256 b) internal pure returns (uint256[] memory values) {
        values = new uint256[](2);
        values[0] = a;
        values[1] = b;
    }

    // ============================================================ the fixtures and the model

    function test_fixtures_instancesAreScoresThenBindings() public view {
        string[3] memory names = ["alert_proof.json", "normal_proof.json", "batch_proof.json"];
        uint64[3] memory indexes = [uint64(0), 1, 2];
        for (uint256 i; i < names.length; ++i) {
            KzgFixture memory fixture = _loadKzgFixture(names[i]);
            uint256 windows = fixture.windowsPerProof;
            assertEq(fixture.index, indexes[i], "binding.index");
            assertEq(fixture.instances.length, 6 * windows, "six instances per window");
            assertEq(fixture.inputCommitments.length, windows, "one commitment per window");
            assertEq(fixture.bindings.length, windows, "one binding per window");
            for (uint256 w; w < windows; ++w) {
                // forge-lint: disable-next-line(unsafe-typecast)
                uint64 windowIndex = fixture.index + uint64(w);
                assertEq(fixture.instances[w], fixture.scores[w], "instance is the score");
                uint256[] memory limbs = AlertChain.limbs(fixture.bindings[w]);
                for (uint256 k; k < limbs.length; ++k) {
                    assertEq(fixture.instances[windows + 5 * w + k], limbs[k], "then the binding's limbs");
                    assertLt(limbs[k], AlertChain.LIMB_BOUND, "limb below 2^28");
                }
                assertEq(AlertChain.recompose(fixture.instances, windows + 5 * w), fixture.bindings[w], "recomposed");
                assertEq(fixture.bindings[w], registry.bindingOf(gateway, STREAM, windowIndex), "bindingOf");
                assertEq(fixture.bindings[w], AlertChain.binding(gateway, STREAM, windowIndex), "specification");
            }
        }
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        KzgFixture memory normalFixture = _loadKzgFixture("normal_proof.json");
        assertGe(alertFixture.scores[0], alertFixture.threshold, "alert score below threshold");
        assertLt(normalFixture.scores[0], normalFixture.threshold, "normal score not below threshold");
    }

    function test_model_recordsCommitmentScheme() public view {
        KzgFixture memory fixture = _loadKzgFixture("alert_proof.json");
        IAlertRegistry.Model memory stored = registry.model(fixture.modelId);
        assertEq(uint256(stored.commitment), uint256(IAlertRegistry.CommitmentScheme.Kzg), "commitment");
        assertEq(stored.windowsPerProof, 1, "windowsPerProof");
        assertEq(stored.verifier, address(verifier), "verifier");
    }

    function test_verifyProof_acceptsKzgFixtureProofs() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        assertTrue(verifier.verifyProof(alertFixture.proof, alertFixture.instances), "single");
        assertTrue(batchVerifier.verifyProof(batch.proof, batch.instances), "batch");
    }

    // ============================================================ recording

    function test_submitAlert_recordsKzgCommitmentFromProof() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        KzgFixture memory normalFixture = _loadKzgFixture("normal_proof.json");
        uint256 commitment = alertFixture.inputCommitments[0];
        // the registry's rule, spelled out: keccak256 of the proof's first 64 bytes
        assertEq(uint256(keccak256(_slice(alertFixture.proof, 0, 64))), commitment, "fixture commitment");

        bytes32 alertHash = AlertChain.alertHash(
            bytes32(0), STREAM, 0, 0, alertFixture.modelId, gateway, commitment, alertFixture.scores[0], true
        );
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(
            STREAM, 0, alertFixture.modelId, 0, alertHash, bytes32(0), gateway, commitment, alertFixture.scores[0], true
        );
        assertEq(_submit(alertFixture, bytes32(0)), alertHash, "head");
        assertEq(registry.proofRecord(STREAM, alertFixture.index), alertHash, "proofRecord");

        bytes32 normalHash = AlertChain.alertHash(
            alertHash,
            STREAM,
            1,
            1,
            normalFixture.modelId,
            gateway,
            normalFixture.inputCommitments[0],
            normalFixture.scores[0],
            false
        );
        assertEq(_submit(normalFixture, alertHash), normalHash, "second head");
        assertEq(registry.count(STREAM), 2, "count");
        assertEq(registry.nextIndex(STREAM), 2, "nextIndex");
    }

    /// @dev The batch is bound to indexes 2 and 3; on a fresh stream that is a skip of two windows,
    /// seq 0 and 1 record window indexes 2 and 3.
    function test_submitAlert_recordsKzgBatchInWindowOrder() public {
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        bytes32 first = AlertChain.alertHash(
            bytes32(0),
            STREAM,
            0,
            2,
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
            3,
            batch.modelId,
            gateway,
            batch.inputCommitments[1],
            batch.scores[1],
            batch.scores[1] >= batch.threshold
        );
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(
            STREAM,
            1,
            batch.modelId,
            3,
            second,
            first,
            gateway,
            batch.inputCommitments[1],
            batch.scores[1],
            batch.scores[1] >= batch.threshold
        );
        assertEq(_submit(batch, bytes32(0)), second, "head after the batch");
        assertEq(registry.nextIndex(STREAM), 4, "nextIndex");
        // one record for the batch: its last window's alert hash, under its first index
        assertEq(registry.proofRecord(STREAM, batch.index), second, "the batch's record");
        assertEq(registry.proofRecord(STREAM, batch.index + 1), bytes32(0), "none inside the batch");
        assertTrue(batch.inputCommitments[0] != batch.inputCommitments[1], "distinct windows");
    }

    // ============================================================ refusals

    /// @dev The recorded proof again: its own index the stream has passed, the next one is not
    /// its binding's.
    function test_RevertWhen_kzgProofReplayed() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        bytes32 head = _submit(alertFixture, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 1, 0));
        _submit(alertFixture, head);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                0,
                registry.bindingOf(gateway, STREAM, 1),
                alertFixture.bindings[0]
            )
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, head, 1, alertFixture.proof, alertFixture.instances);
        assertEq(registry.head(STREAM), head, "head moved");
        assertEq(registry.count(STREAM), 1, "count moved");
        assertEq(registry.nextIndex(STREAM), 1, "nextIndex moved");
    }

    /// @dev The commitment is bound by the proof: change one byte of the G1 point and the verifier refuses.
    function test_RevertWhen_kzgCommitmentPointTampered() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
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
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        bytes memory swapped = bytes.concat(
            _slice(batch.proof, 64, 64), _slice(batch.proof, 0, 64), _slice(batch.proof, 128, batch.proof.length - 128)
        );
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, batch.modelId));
        _expectRevertNothingRecorded(batch, swapped, batch.instances);
    }

    function test_RevertWhen_kzgScoreTampered() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        uint256[] memory instances = _instances(_one(alertFixture.scores[0] - 1), alertFixture.bindings);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        _expectRevertNothingRecorded(alertFixture, alertFixture.proof, instances);
    }

    /// @dev A Poseidon-style instance layout `[c, s, l_0, ..., l_4]` is refused by a KZG model before
    /// verification.
    function test_RevertWhen_kzgModelGetsPoseidonLayout() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        uint256[] memory instances = AlertChain.single(
            alertFixture.inputCommitments[0] % BN254.FIELD_MODULUS, alertFixture.scores[0], alertFixture.bindings[0]
        );
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 6, 7));
        _expectRevertNothingRecorded(alertFixture, alertFixture.proof, instances);
    }

    /// @dev The layout without bindings, `[s_1, ..., s_B]`, is five instances per window short; with
    /// each binding as one instance, `[s_1, ..., s_B, b_1, ..., b_B]`, four.
    function test_RevertWhen_kzgInstancesLackBindings() public {
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 12, 2));
        _expectRevertNothingRecorded(batch, batch.proof, batch.scores);

        uint256[] memory oneInstanceEach = new uint256[](4);
        oneInstanceEach[0] = batch.scores[0];
        oneInstanceEach[1] = batch.scores[1];
        oneInstanceEach[2] = batch.bindings[0];
        oneInstanceEach[3] = batch.bindings[1];
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 12, 4));
        _expectRevertNothingRecorded(batch, batch.proof, oneInstanceEach);
    }

    // ============================================================ bindings of a batch

    /// @dev The batch (bound to indexes 2 and 3) at another first index: too early (0, 1, the
    /// windows before it) or one late (3, overlapping its own second window). The first window is
    /// the one named.
    function test_RevertWhen_kzgBatchAtTheWrongFirstIndex() public {
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        uint64[3] memory firstIndexes = [uint64(0), 1, 3];
        for (uint256 i; i < firstIndexes.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAlertRegistry.AlertRegistryBindingMismatch.selector,
                    0,
                    registry.bindingOf(gateway, STREAM, firstIndexes[i]),
                    batch.bindings[0]
                )
            );
            _expectRevertNothingRecordedAt(batch, firstIndexes[i], batch.proof, batch.instances);
        }
    }

    /// @dev The bindings swapped (each window claiming the other's index), with the scores as
    /// proven and with the scores swapped too; and a batch whose second window repeats the
    /// first's binding, refused at window 1. The registry refuses all of them before the verifier.
    function test_RevertWhen_kzgBatchBindingsSwapped() public {
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        uint256 expected0 = registry.bindingOf(gateway, STREAM, 2);
        uint256 expected1 = registry.bindingOf(gateway, STREAM, 3);
        uint256[] memory swappedBindings = _pair(batch.bindings[1], batch.bindings[0]);

        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, expected0, batch.bindings[1]
            )
        );
        _expectRevertNothingRecorded(batch, batch.proof, _instances(batch.scores, swappedBindings));

        uint256[] memory swappedScores = _pair(batch.scores[1], batch.scores[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, expected0, batch.bindings[1]
            )
        );
        _expectRevertNothingRecorded(batch, batch.proof, _instances(swappedScores, swappedBindings));

        uint256[] memory repeated = _pair(batch.bindings[0], batch.bindings[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector, 1, expected1, batch.bindings[0]
            )
        );
        _expectRevertNothingRecorded(batch, batch.proof, _instances(batch.scores, repeated));
    }

    /// @dev The batch's second window with one limb one larger, with its limbs high limb first, and
    /// with a carry moved between its limbs 0 and 1 (the same 140-bit value, limb 0 out of range):
    /// the first window passes, the second is named with its binding and its limbs as recomposed.
    function test_RevertWhen_kzgBatchSecondWindowLimbsTampered() public {
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
        uint256 expected1 = registry.bindingOf(gateway, STREAM, 3);
        assertEq(expected1, batch.bindings[1], "fixture binding");
        uint256 start = 2 + 5; // the second window's limbs

        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            uint256[] memory bumped = _copy(batch.instances);
            bumped[start + k] += 1;
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAlertRegistry.AlertRegistryBindingMismatch.selector,
                    1,
                    expected1,
                    expected1 + AlertChain.LIMB_BOUND ** k
                )
            );
            _expectRevertNothingRecorded(batch, batch.proof, bumped);
        }

        uint256[] memory reversed = _copy(batch.instances);
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            reversed[start + k] = batch.instances[start + 4 - k];
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                1,
                expected1,
                AlertChain.recompose(reversed, start)
            )
        );
        _expectRevertNothingRecorded(batch, batch.proof, reversed);

        uint256[] memory carried = _copy(batch.instances);
        assertTrue(carried[start + 1] != 0, "no carry to move");
        carried[start] += AlertChain.LIMB_BOUND;
        carried[start + 1] -= 1;
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 1, expected1, expected1)
        );
        _expectRevertNothingRecorded(batch, batch.proof, carried);
    }

    /// @dev The single-window proof moved one window on names exactly the fixture's values: the
    /// binding of index 1 (the normal fixture's) and its own `bindings[0]`, its limbs recomposed.
    function test_RevertWhen_kzgProofMovedNamesItsRecomposedLimbs() public {
        KzgFixture memory alertFixture = _loadKzgFixture("alert_proof.json");
        uint256 own = 0x62a4c9a312084777c2418399ec55daff1e0; // (gateway, STREAM, 0)
        uint256 next = 0xb08621f2607955a83c819ea84f2c8ba32a8; // (gateway, STREAM, 1)
        assertEq(alertFixture.bindings[0], own, "bindings[0]");
        assertEq(AlertChain.recompose(alertFixture.instances, 1), own, "limbs recomposed");
        assertEq(registry.bindingOf(gateway, STREAM, 1), next, "bindingOf(gateway, STREAM, 1)");
        assertEq(_loadKzgFixture("normal_proof.json").bindings[0], next, "the normal fixture's binding");
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, next, own));
        _expectRevertNothingRecordedAt(alertFixture, 1, alertFixture.proof, alertFixture.instances);
    }

    function test_RevertWhen_kzgProofTooShort() public {
        KzgFixture memory batch = _loadKzgFixture("batch_proof.json");
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
