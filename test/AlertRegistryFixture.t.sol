// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixtures} from "./utils/ProofFixtures.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev Real EZKL proofs, made by the Python pipeline (`test/fixtures/*.json`), against the verifier
/// generated for the same circuit (`test/generated/FixtureVerifier.sol`). Regenerate both
/// together; a stale pair fails test_verifyProof_acceptsFixtureProofs. Each proof is bound to one
/// window of one stream of one gateway (its `binding`): the tests submit it as that gateway, to
/// that stream, at that index.
contract AlertRegistryFixtureTest is ProofFixtures {
    /// @dev The stream the fixtures were proven for.
    bytes32 internal constant STREAM = FIXTURE_STREAM;
    /// @dev A window that alarms (score >= threshold) and one that does not, same circuit.
    string internal constant ALERT_FIXTURE = "alert_proof.json";
    string internal constant NORMAL_FIXTURE = "normal_proof.json";

    AlertRegistry internal registry;
    IHalo2Verifier internal verifier;
    address internal gateway;

    function setUp() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);

        verifier = IHalo2Verifier(vm.deployCode(FIXTURE_VERIFIER));
        address owner = makeAddr("owner");
        gateway = alertFixture.gateway;
        vm.label(gateway, "gateway");
        registry = new AlertRegistry(owner);

        vm.startPrank(owner);
        registry.registerModel(
            alertFixture.modelId,
            address(verifier),
            alertFixture.threshold,
            uint32(alertFixture.windowsPerProof),
            IAlertRegistry.CommitmentScheme.Poseidon,
            TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
    }

    /// @dev Submits the fixture at the index it is bound to.
    function _submit(ProofFixture memory fixture, bytes32 prevHash) internal returns (bytes32) {
        vm.prank(gateway);
        return registry.submitAlert(STREAM, fixture.modelId, prevHash, fixture.index, fixture.proof, fixture.instances);
    }

    function _copy(uint256[] memory values) internal pure returns (uint256[] memory out) {
        out = new uint256[](values.length);
        for (uint256 i; i < values.length; ++i) {
            out[i] = values[i];
        }
    }

    /// @dev Submitted by the stream's gateway at `firstIndex`, the proof does not verify and nothing is recorded.
    function _assertRefusedAsInvalid(
        ProofFixture memory f,
        uint64 firstIndex,
        bytes memory proof,
        uint256[] memory instances
    ) internal {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, f.modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, f.modelId, bytes32(0), firstIndex, proof, instances);
        _assertNothingRecorded(f);
    }

    function _assertNothingRecorded(ProofFixture memory alertFixture) internal view {
        assertEq(registry.head(STREAM), bytes32(0), "head moved");
        assertEq(registry.count(STREAM), 0, "count moved");
        assertEq(registry.nextIndex(STREAM), 0, "nextIndex moved");
        assertEq(registry.proofRecord(STREAM, alertFixture.index), bytes32(0), "proof recorded");
    }

    // ============================================================ the fixtures themselves

    function test_fixtures_haveDocumentedShape() public view {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        ProofFixture memory normalFixture = _loadFixture(NORMAL_FIXTURE);
        ProofFixture[2] memory fixtures = [alertFixture, normalFixture];
        uint64[2] memory indexes = [uint64(0), 1];
        for (uint256 i; i < fixtures.length; ++i) {
            assertEq(fixtures[i].windowsPerProof, 1, "windows_per_proof");
            assertEq(fixtures[i].instances.length, 7, "instances.length");
            assertEq(fixtures[i].instances[0], fixtures[i].inputCommitment, "instances[0] is input_commitment");
            assertEq(fixtures[i].instances[1], fixtures[i].score, "instances[1] is score");
            uint256[] memory limbs = AlertChain.limbs(fixtures[i].binding);
            for (uint256 k; k < limbs.length; ++k) {
                assertEq(fixtures[i].instances[2 + k], limbs[k], "instances[2 + k] is limb k of binding_value");
                assertLt(fixtures[i].instances[2 + k], AlertChain.LIMB_BOUND, "limb below 2^28");
            }
            assertEq(AlertChain.recompose(fixtures[i].instances, 2), fixtures[i].binding, "limbs recompose");
            assertLt(fixtures[i].binding, AlertChain.BINDING_BOUND, "binding_value below 2^140");
            assertLt(fixtures[i].inputCommitment, BN254.FIELD_MODULUS, "input_commitment in field");
            assertLt(fixtures[i].score, BN254.FIELD_MODULUS, "score in field");
            // bound to the gateway, STREAM and the window's index, as bindingOf computes it
            assertEq(fixtures[i].gateway, gateway, "binding.gateway");
            assertEq(fixtures[i].streamId, STREAM, "binding.stream_id");
            assertEq(fixtures[i].index, indexes[i], "binding.index");
            assertEq(fixtures[i].binding, registry.bindingOf(gateway, STREAM, indexes[i]), "bindingOf");
            assertEq(fixtures[i].binding, AlertChain.binding(gateway, STREAM, indexes[i]), "specification");
        }
        // one circuit, one model: both proofs go to the same registered model
        assertEq(normalFixture.modelId, alertFixture.modelId, "model_id");
        assertEq(normalFixture.threshold, alertFixture.threshold, "threshold");
        // the alert fixture alarms and the normal one does not
        assertGe(alertFixture.score, alertFixture.threshold, "alert score below threshold");
        assertLt(normalFixture.score, normalFixture.threshold, "normal score not below threshold");
    }

    // ============================================================ (a) the verifier alone

    function test_verifyProof_acceptsFixtureProofs() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        ProofFixture memory normalFixture = _loadFixture(NORMAL_FIXTURE);
        assertTrue(verifier.verifyProof(alertFixture.proof, alertFixture.instances), "alert proof");
        assertTrue(verifier.verifyProof(normalFixture.proof, normalFixture.instances), "normal proof");
    }

    // ============================================================ (b) through the registry

    function test_submitAlert_recordsFixtureProofs() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        ProofFixture memory normalFixture = _loadFixture(NORMAL_FIXTURE);
        bytes32 alertHash = AlertChain.alertHash(
            bytes32(0),
            STREAM,
            0,
            alertFixture.index,
            alertFixture.modelId,
            gateway,
            alertFixture.inputCommitment,
            alertFixture.score,
            true
        );
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(
            STREAM,
            0,
            alertFixture.modelId,
            alertFixture.index,
            alertHash,
            bytes32(0),
            gateway,
            alertFixture.inputCommitment,
            alertFixture.score,
            true
        );
        assertEq(_submit(alertFixture, bytes32(0)), alertHash, "returned head");
        assertEq(registry.head(STREAM), alertHash, "head");
        assertEq(registry.count(STREAM), 1, "count");
        assertEq(registry.nextIndex(STREAM), alertFixture.index + 1, "nextIndex");
        assertEq(registry.proofRecord(STREAM, alertFixture.index), alertHash, "proofRecord");

        // a normal window extends the chain without an alarm
        bytes32 normalHash = AlertChain.alertHash(
            alertHash,
            STREAM,
            1,
            normalFixture.index,
            normalFixture.modelId,
            gateway,
            normalFixture.inputCommitment,
            normalFixture.score,
            false
        );
        assertEq(_submit(normalFixture, alertHash), normalHash, "second head");
        assertEq(registry.count(STREAM), 2, "second count");
        assertEq(registry.nextIndex(STREAM), normalFixture.index + 1, "second nextIndex");
    }

    // ============================================================ (c) tampered proof

    function test_RevertWhen_submitAlertFixtureProofTampered() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        uint256 length = alertFixture.proof.length;
        uint256[3] memory positions = [uint256(0), length / 2, length - 1];
        for (uint256 i; i < positions.length; ++i) {
            bytes memory tampered = bytes.concat(alertFixture.proof);
            tampered[positions[i]] ^= 0x01;

            vm.expectRevert(
                abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId)
            );
            vm.prank(gateway);
            registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, tampered, alertFixture.instances);
        }
        _assertNothingRecorded(alertFixture);
    }

    // ============================================================ (d) tampered instances

    function test_RevertWhen_submitAlertFixtureScoreTampered() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        uint256[] memory instances =
            AlertChain.single(alertFixture.inputCommitment, alertFixture.score + 1, alertFixture.binding);
        _assertRefusedAsInvalid(alertFixture, 0, alertFixture.proof, instances);
    }

    function test_RevertWhen_submitAlertFixtureCommitmentTampered() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        uint256 commitment = (alertFixture.inputCommitment + 1) % BN254.FIELD_MODULUS;
        uint256[] memory instances = AlertChain.single(commitment, alertFixture.score, alertFixture.binding);
        _assertRefusedAsInvalid(alertFixture, 0, alertFixture.proof, instances);
    }

    /// @dev The binding is part of what the proof proves: relabelled for the next index (and
    /// submitted there, so the registry's own comparison passes), the proof no longer verifies.
    function test_RevertWhen_submitAlertFixtureBindingTampered() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        uint256[] memory instances =
            AlertChain.single(alertFixture.inputCommitment, alertFixture.score, registry.bindingOf(gateway, STREAM, 1));
        _assertRefusedAsInvalid(alertFixture, 1, alertFixture.proof, instances);
    }

    /// @dev Each limb one larger in turn, and the limbs high limb first, at the proof's own window:
    /// refused by the registry's limb-wise comparison before the verifier, naming the binding and
    /// the limbs as recomposed.
    function test_RevertWhen_submitAlertFixtureBindingLimbTampered() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            uint256[] memory instances = _copy(alertFixture.instances);
            instances[2 + k] += 1;
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAlertRegistry.AlertRegistryBindingMismatch.selector,
                    0,
                    alertFixture.binding,
                    alertFixture.binding + AlertChain.LIMB_BOUND ** k
                )
            );
            vm.prank(gateway);
            registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, instances);
        }

        uint256[] memory reversed = _copy(alertFixture.instances);
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            reversed[2 + k] = alertFixture.instances[6 - k];
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                0,
                alertFixture.binding,
                AlertChain.recompose(reversed, 2)
            )
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, reversed);
        _assertNothingRecorded(alertFixture);
    }

    function test_RevertWhen_submitAlertFixtureProofSwapped() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        ProofFixture memory normalFixture = _loadFixture(NORMAL_FIXTURE);
        // a valid proof, but of the other window's statement
        _assertRefusedAsInvalid(alertFixture, 0, normalFixture.proof, alertFixture.instances);
    }

    // ============================================================ (e) replay

    /// @dev The recorded proof again: at its own index the stream has passed it, at the next
    /// index its binding is not that index's.
    function test_RevertWhen_submitAlertFixtureReplayed() public {
        ProofFixture memory alertFixture = _loadFixture(ALERT_FIXTURE);
        bytes32 firstHead = _submit(alertFixture, bytes32(0));

        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 1, 0));
        _submit(alertFixture, firstHead);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                0,
                registry.bindingOf(gateway, STREAM, 1),
                alertFixture.binding
            )
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, firstHead, 1, alertFixture.proof, alertFixture.instances);

        assertEq(registry.head(STREAM), firstHead, "head moved");
        assertEq(registry.count(STREAM), 1, "count moved");
        assertEq(registry.nextIndex(STREAM), 1, "nextIndex moved");
    }
}
