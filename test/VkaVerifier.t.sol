// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixtures} from "./utils/ProofFixtures.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {VkaVerifier} from "../contracts/VkaVerifier.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev A circuit verified through EZKL's reusable verifier and its verifying-key artifact (VKA):
/// the real two-window KZG proof of `test/fixtures/kzg/vka_batch_proof.json` (bound to the fixture
/// gateway, "fixture/te-kzg", indexes 0 and 1) and its circuit's VKA (`vka_batch.vka.json`,
/// `python -m zkalert.lab.fixtures vka`), against `contracts/generated/Halo2VerifierReusable.sol`.
contract VkaVerifierTest is ProofFixtures {
    string internal constant REUSABLE = "Halo2VerifierReusable.sol:Halo2VerifierReusable";
    uint256 internal constant EIP170_LIMIT = 24_576;
    bytes32 internal constant STREAM = KZG_FIXTURE_STREAM;

    address internal reusable;
    bytes32[] internal words;
    VkaVerifier internal verifier;
    KzgFixture internal batch;

    function setUp() public {
        reusable = vm.deployCode(REUSABLE);
        string memory json = vm.readFile(string.concat(KZG_FIXTURES, "vka_batch.vka.json"));
        words = vm.parseJsonBytes32Array(json, ".words");
        assertEq(vm.parseJsonBytes32(json, ".digest"), keccak256(abi.encodePacked(words)), "fixture digest");
        verifier = new VkaVerifier(reusable, words);
        batch = _loadKzgFixture("vka_batch_proof.json");
    }

    /// @dev What a registry's VerifierCall counts: a returned 1, anything else (a revert included) a refusal.
    function _accepts(IHalo2Verifier v, bytes memory proof, uint256[] memory instances) internal view returns (bool) {
        (bool ok, bytes memory result) = address(v).staticcall(abi.encodeCall(IHalo2Verifier.verifyProof, (proof, instances)));
        return ok && result.length == 32 && abi.decode(result, (uint256)) == 1;
    }

    function test_verifiesTheRealProofAndKeepsTheVka() public view {
        assertTrue(_accepts(verifier, batch.proof, batch.instances), "the real proof");
        assertEq(keccak256(abi.encodePacked(verifier.vkaWords())), keccak256(abi.encodePacked(words)), "the stored VKA");
        assertEq(verifier.vkaDigest(), keccak256(abi.encodePacked(words)), "digest");
        assertEq(verifier.reusableVerifier(), reusable, "reusable verifier");
        assertEq(verifier.vka().code.length, 1 + 32 * words.length, "data contract: STOP, then the words");
        assertEq(uint8(verifier.vka().code[0]), 0, "the data contract cannot run");
    }

    function test_everyPieceFitsUnderEip170() public view {
        assertLt(reusable.code.length, EIP170_LIMIT, "reusable verifier");
        assertLt(address(verifier).code.length, EIP170_LIMIT, "VkaVerifier");
        assertLt(verifier.vka().code.length, EIP170_LIMIT, "VKA data contract");
    }

    function test_RevertWhen_instanceTampered() public view {
        uint256[] memory instances = batch.instances;
        instances[0] = instances[0] + 1; // the first window's score
        assertFalse(_accepts(verifier, batch.proof, instances), "tampered score accepted");
    }

    function test_RevertWhen_proofTampered() public view {
        bytes memory proof = batch.proof;
        proof[proof.length - 1] = bytes1(uint8(proof[proof.length - 1]) ^ 1);
        assertFalse(_accepts(verifier, proof, batch.instances), "tampered proof accepted");
    }

    /// @dev The same proof under another circuit's VKA (one word of the key changed) is refused. (The
    /// VKA's last word only says how the reusable verifier rescales instances for display, and a
    /// proof verifies whatever it holds; the audit compares every word with the regulator's VKA.)
    function test_RevertWhen_anotherVka() public {
        bytes32[] memory other = words;
        other[other.length / 2] = other[other.length / 2] ^ bytes32(uint256(1));
        VkaVerifier otherVerifier = new VkaVerifier(reusable, other);
        assertFalse(_accepts(otherVerifier, batch.proof, batch.instances), "proof accepted under another VKA");
        assertTrue(address(otherVerifier).codehash != address(verifier).codehash, "one code hash per VKA");
    }

    function test_RevertWhen_constructedWithoutAReusableVerifierOrVka() public {
        vm.expectRevert(abi.encodeWithSelector(VkaVerifier.VkaVerifierNoReusableVerifier.selector, address(0xBEEF)));
        new VkaVerifier(address(0xBEEF), words);
        vm.expectRevert(VkaVerifier.VkaVerifierEmptyVka.selector);
        new VkaVerifier(reusable, new bytes32[](0));
    }

    /// @dev The owner's choice the code-hash rule cannot see: a second VkaVerifier of the same VKA
    /// (another address for its data, so another code hash) registered under a second model id and
    /// threshold. The proof recorded under the first model is still refused under the second: its
    /// binding holds it to its stream and indexes, which the stream has passed.
    function test_RevertWhen_recordedProofResentUnderASecondModelOfTheSameVka() public {
        address owner = makeAddr("owner");
        address gateway = vm.parseJsonAddress(vm.readFile(string.concat(KZG_FIXTURES, "vka_batch_proof.json")), ".binding.gateway");
        AlertRegistry registry = new AlertRegistry(owner);
        VkaVerifier twin = new VkaVerifier(reusable, words);
        bytes32 twinModel = keccak256("the same circuit, another model id");
        vm.startPrank(owner);
        registry.registerModel(
            batch.modelId, address(verifier), batch.threshold, 2, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID
        );
        registry.registerModel(twinModel, address(twin), 0, 2, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID);
        registry.setGateway(gateway, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
        assertTrue(address(twin).codehash != address(verifier).codehash, "two code hashes for one VKA");

        vm.prank(gateway);
        bytes32 head = registry.submitAlert(STREAM, batch.modelId, bytes32(0), 0, batch.proof, batch.instances);
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 2, 0));
        registry.submitAlert(STREAM, twinModel, head, 0, batch.proof, batch.instances);
        assertEq(registry.nextIndex(STREAM), 2, "recorded once");
    }

    /// @dev Registered as a model's verifier, the batch is recorded as with a generated verifier;
    /// gas of the submission is in the snapshot.
    function test_submitAlert_recordsTheBatchThroughTheVkaVerifier() public {
        address owner = makeAddr("owner");
        address gateway = vm.parseJsonAddress(vm.readFile(string.concat(KZG_FIXTURES, "vka_batch_proof.json")), ".binding.gateway");
        AlertRegistry registry = new AlertRegistry(owner);
        vm.startPrank(owner);
        registry.registerModel(
            batch.modelId, address(verifier), batch.threshold, 2, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();

        bytes32 first = AlertChain.alertHash(
            bytes32(0), STREAM, 0, 0, batch.modelId, gateway, batch.inputCommitments[0], batch.scores[0],
            batch.scores[0] >= batch.threshold
        );
        bytes32 second = AlertChain.alertHash(
            first, STREAM, 1, 1, batch.modelId, gateway, batch.inputCommitments[1], batch.scores[1],
            batch.scores[1] >= batch.threshold
        );
        vm.prank(gateway);
        assertEq(
            registry.submitAlert(STREAM, batch.modelId, bytes32(0), 0, batch.proof, batch.instances), second, "head"
        );
        assertEq(registry.nextIndex(STREAM), 2, "nextIndex");

        // a tampered score is refused by the registry as an invalid proof, nothing recorded
        AlertRegistry fresh = new AlertRegistry(owner);
        vm.startPrank(owner);
        fresh.registerModel(
            batch.modelId, address(verifier), batch.threshold, 2, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID
        );
        fresh.setGateway(gateway, true);
        fresh.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
        uint256[] memory instances = batch.instances;
        instances[1] = instances[1] + 1;
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, batch.modelId));
        fresh.submitAlert(STREAM, batch.modelId, bytes32(0), 0, batch.proof, instances);
    }
}
