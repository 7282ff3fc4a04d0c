// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixtures} from "./utils/ProofFixtures.sol";
import {Test} from "./utils/Test.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {MockHalo2Verifier, SloppyVerifier} from "./utils/MockHalo2Verifier.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev Attacks on the registry with REAL EZKL proofs (test/fixtures/, made by `make fixtures`):
/// non-canonical field elements and curve points, flipped, truncated and extended proofs, wrong
/// instance counts, non-canonical ABI encodings, proofs of another circuit, replays with a
/// re-randomised proof, stale and forked heads, and proofs copied out of the mempool into another
/// gateway's stream, another stream or another window index.
///
/// Every fixture proof is bound to one window: the gateway and stream in its JSON `binding` (anvil's
/// first account, stream "fixture/te") and its index (alert 0, normal 1). So here the victim
/// gateway is that account and its stream is that stream; the rival is any other registered
/// gateway, with a stream of its own.
contract AlertRegistryAttacksTest is ProofFixtures {
    /// @dev The BN254 base field modulus q: proof points' coordinates live in it.
    uint256 internal constant Q = BN254.BASE_FIELD_MODULUS;
    uint256 internal constant R = BN254.FIELD_MODULUS;
    /// @dev The stream every Poseidon fixture was proven for.
    bytes32 internal constant STREAM = FIXTURE_STREAM;
    bytes32 internal constant OTHER_STREAM = keccak256("stream/rival");
    bytes32 internal constant SECOND_STREAM = keccak256("fixture/te-second");

    AlertRegistry internal registry;
    IHalo2Verifier internal fixtureVerifier;
    IHalo2Verifier internal foreignVerifier;
    address internal owner;
    address internal gateway;
    address internal rival;
    address internal stranger;

    ProofFixture internal alertFixture;
    ProofFixture internal rerandomised;
    ProofFixture internal normalFixture;
    ProofFixture internal foreignFixture;

    function setUp() public {
        alertFixture = _load("alert_proof.json");
        rerandomised = _load("alert_proof_rerandomised.json");
        normalFixture = _load("normal_proof.json");
        foreignFixture = _load("foreign_proof.json");

        owner = makeAddr("owner");
        gateway = vm.parseJsonAddress(vm.readFile("test/fixtures/alert_proof.json"), ".binding.gateway");
        vm.label(gateway, "gateway");
        rival = makeAddr("rival-gateway");
        stranger = makeAddr("stranger");
        registry = new AlertRegistry(owner);
        fixtureVerifier = IHalo2Verifier(vm.deployCode(FIXTURE_VERIFIER));
        foreignVerifier = IHalo2Verifier(vm.deployCode(FOREIGN_VERIFIER));

        vm.startPrank(owner);
        registry.registerModel(
            alertFixture.modelId,
            address(fixtureVerifier),
            alertFixture.threshold,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon,
            TEST_SRS_ID
        );
        registry.registerModel(
            foreignFixture.modelId,
            address(foreignVerifier),
            foreignFixture.threshold,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon,
            TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setGateway(rival, true);
        registry.setStreamGateway(STREAM, gateway);
        registry.setStreamGateway(OTHER_STREAM, rival);
        vm.stopPrank();
    }

    // ============================================================ helpers

    /// @dev A fixture of STREAM (every fixture here is bound to it, with the fixture gateway).
    function _load(string memory name) internal view returns (ProofFixture memory fixture) {
        fixture = _loadFixture(name);
        assertEq(fixture.streamId, STREAM, "fixture proven for another stream");
    }

    /// @dev The fixture as its gateway would send it: at the index it is bound to.
    function _submitAs(address sender, bytes32 streamId, ProofFixture memory fixture, bytes32 prevHash)
        internal
        returns (bytes32)
    {
        return _submitAt(sender, streamId, fixture, prevHash, fixture.index);
    }

    function _submitAt(address sender, bytes32 streamId, ProofFixture memory fixture, bytes32 prevHash, uint64 index)
        internal
        returns (bytes32)
    {
        vm.prank(sender);
        return registry.submitAlert(streamId, fixture.modelId, prevHash, index, fixture.proof, fixture.instances);
    }

    function _expectInvalidProof(bytes memory proof, uint256[] memory instances) internal {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), alertFixture.index, proof, instances);
    }

    /// @dev The refusal of `fixture` submitted by `sender` to window `index` of `streamId`: the
    /// binding that window needs, and the fixture's limbs recomposed (its `binding_value`).
    function _expectBindingMismatch(address sender, bytes32 streamId, uint64 index, ProofFixture memory fixture)
        internal
    {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                0,
                registry.bindingOf(sender, streamId, index),
                fixture.binding
            )
        );
    }

    /// @dev The fixture's binding limbs recomposed (instances 2 to 6, low limb first).
    function _binding(ProofFixture memory fixture) internal pure returns (uint256) {
        return AlertChain.recompose(fixture.instances, 2);
    }

    function _statement(ProofFixture memory fixture) internal pure returns (bytes32) {
        return AlertChain.statement(fixture.modelId, fixture.instances[0], fixture.instances[1]);
    }

    function _hashOf(ProofFixture memory fixture, bytes32 streamId, uint64 seq, bytes32 prevHash, address by)
        internal
        pure
        returns (bytes32)
    {
        uint256 score = fixture.instances[1];
        return AlertChain.alertHash(
            prevHash,
            streamId,
            seq,
            fixture.index,
            fixture.modelId,
            by,
            fixture.instances[0],
            score,
            score >= fixture.threshold
        );
    }

    function _assertUntouched(bytes32 streamId) internal view {
        _assertStream(streamId, bytes32(0), 0, 0);
        assertEq(registry.proofRecord(streamId, 0), bytes32(0), "proof recorded");
    }

    function _assertStream(bytes32 streamId, bytes32 head, uint64 streamCount, uint64 next) internal view {
        assertEq(registry.head(streamId), head, "head moved");
        assertEq(registry.count(streamId), streamCount, "count moved");
        assertEq(registry.nextIndex(streamId), next, "nextIndex moved");
    }

    function _copy(bytes memory data) internal pure returns (bytes memory) {
        return bytes.concat(data);
    }

    function _word(bytes memory data, uint256 index) internal pure returns (uint256 value) {
        assembly {
            value := mload(add(add(data, 0x20), mul(index, 0x20)))
        }
    }

    function _setWord(bytes memory data, uint256 index, uint256 value) internal pure {
        assembly {
            mstore(add(add(data, 0x20), mul(index, 0x20)), value)
        }
    }

    // ============================================================ the fixtures are what they claim

    function test_fixtures_rerandomisedProofIsAnotherValidProofOfTheSameStatement() public {
        assertEq(rerandomised.modelId, alertFixture.modelId, "model");
        assertEq(rerandomised.instances.length, 7, "instances");
        assertEq(rerandomised.instances[0], alertFixture.instances[0], "commitment");
        assertEq(rerandomised.instances[1], alertFixture.instances[1], "score");
        for (uint256 k = 2; k < 7; ++k) {
            assertEq(rerandomised.instances[k], alertFixture.instances[k], "binding limb");
        }
        assertTrue(keccak256(rerandomised.proof) != keccak256(alertFixture.proof), "same proof bytes");
        assertTrue(fixtureVerifier.verifyProof(rerandomised.proof, rerandomised.instances), "rerandomised proof");
        assertTrue(foreignVerifier.verifyProof(foreignFixture.proof, foreignFixture.instances), "foreign proof");
    }

    /// @dev Each proof's last five instances are the limbs (28 bits each, low limb first) of the
    /// binding of the fixture gateway, STREAM and the proof's index, its `binding_value`; the
    /// attacks below rely on these indexes.
    function test_fixtures_areBoundToTheGatewayStreamAndIndex() public view {
        ProofFixture[4] memory fixtures = [alertFixture, rerandomised, normalFixture, foreignFixture];
        uint64[4] memory indexes = [uint64(0), 0, 1, 0];
        for (uint256 i; i < fixtures.length; ++i) {
            assertEq(fixtures[i].index, indexes[i], "index");
            assertEq(fixtures[i].instances.length, 7, "instances");
            uint256[] memory limbs = AlertChain.limbs(fixtures[i].binding);
            for (uint256 k; k < limbs.length; ++k) {
                assertLt(fixtures[i].instances[2 + k], AlertChain.LIMB_BOUND, "limb in range");
                assertEq(fixtures[i].instances[2 + k], limbs[k], "limb of binding_value");
            }
            assertEq(_binding(fixtures[i]), fixtures[i].binding, "binding_value");
            assertEq(_binding(fixtures[i]), registry.bindingOf(gateway, STREAM, indexes[i]), "bindingOf");
            assertEq(_binding(fixtures[i]), AlertChain.binding(gateway, STREAM, indexes[i]), "specification");
        }
        assertEq(gateway, 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, "gateway is anvil's first account");
    }

    // ============================================================ field elements

    function test_RevertWhen_commitmentIsShiftedByTheModulus() public {
        uint256[] memory instances =
            AlertChain.single(alertFixture.instances[0] + R, alertFixture.instances[1], _binding(alertFixture));
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 0, instances[0])
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, instances);
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_scoreIsShiftedByTheModulus() public {
        uint256[] memory instances =
            AlertChain.single(alertFixture.instances[0], alertFixture.instances[1] + R, _binding(alertFixture));
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 1, instances[1])
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, instances);
        _assertUntouched(STREAM);
    }

    /// @dev l + r is the limb the verifier checks as l: refused before the registry compares the
    /// binding, whichever limb it is.
    function test_RevertWhen_bindingLimbIsShiftedByTheModulus() public {
        for (uint256 k = 2; k < 7; ++k) {
            uint256[] memory instances = _copyInstances(alertFixture.instances);
            instances[k] += R;
            vm.expectRevert(
                abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, k, instances[k])
            );
            vm.prank(gateway);
            registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, instances);
        }
        _assertUntouched(STREAM);
    }

    /// @dev x + k*r is the same field element as x: accepting it would make a second statement (and
    /// a second record) out of one proof.
    function testFuzz_RevertWhen_instanceIsNotCanonical(uint256 multiple, uint8 slot) public {
        uint256 index = slot % 7;
        uint256 value = alertFixture.instances[index];
        multiple = bound(multiple, 1, (type(uint256).max - value) / R);
        uint256[] memory instances = _copyInstances(alertFixture.instances);
        instances[index] = value + multiple * R;

        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, index, instances[index])
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, instances);
    }

    function _copyInstances(uint256[] memory instances) internal pure returns (uint256[] memory copied) {
        copied = new uint256[](instances.length);
        for (uint256 i; i < instances.length; ++i) {
            copied[i] = instances[i];
        }
    }
    // ============================================================ curve points and proof words

    function test_RevertWhen_proofPointIsOffTheCurve() public {
        bytes memory proof = _copy(alertFixture.proof);
        _setWord(proof, 1, addmod(_word(proof, 1), 1, Q)); // y of the first commitment
        _expectInvalidProof(proof, alertFixture.instances);
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_proofPointCoordinateIsNotReduced() public {
        bytes memory proof = _copy(alertFixture.proof);
        _setWord(proof, 0, _word(proof, 0) + Q); // the same point mod q, written out of range
        _expectInvalidProof(proof, alertFixture.instances);
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_proofPointIsTheIdentity() public {
        bytes memory proof = _copy(alertFixture.proof);
        _setWord(proof, 0, 0);
        _setWord(proof, 1, 0);
        _expectInvalidProof(proof, alertFixture.instances);
        _assertUntouched(STREAM);
    }

    /// @dev Every 32-byte word of the proof is a coordinate (< q) or an evaluation (< r < q); the
    /// word plus q is the same coordinate mod q, or an evaluation out of range: both are refused.
    function testFuzz_RevertWhen_proofWordIsNotReduced(uint256 wordIndex) public {
        bytes memory proof = _copy(alertFixture.proof);
        wordIndex = bound(wordIndex, 0, proof.length / 32 - 1);
        _setWord(proof, wordIndex, _word(proof, wordIndex) + Q);
        _expectInvalidProof(proof, alertFixture.instances);
    }

    // ============================================================ flipped, truncated, extended proofs

    function testFuzz_RevertWhen_proofBitIsFlipped(uint256 position, uint8 bit) public {
        bytes memory proof = _copy(alertFixture.proof);
        position = bound(position, 0, proof.length - 1);
        proof[position] ^= bytes1(uint8(1) << (bit % 8));
        _expectInvalidProof(proof, alertFixture.instances);
    }

    function test_RevertWhen_proofIsTruncated() public {
        uint256 length = alertFixture.proof.length;
        uint256[4] memory cuts = [uint256(1), 32, length / 2, length];
        for (uint256 i; i < cuts.length; ++i) {
            bytes memory proof = _copy(alertFixture.proof);
            assembly {
                mstore(proof, sub(length, mload(add(cuts, mul(i, 0x20)))))
            }
            _expectInvalidProof(proof, alertFixture.instances);
        }
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_proofIsExtended() public {
        bytes[4] memory extended = [
            bytes.concat(alertFixture.proof, hex"00"),
            bytes.concat(alertFixture.proof, bytes32(0)),
            bytes.concat(alertFixture.proof, alertFixture.proof),
            bytes.concat(bytes32(0), alertFixture.proof)
        ];
        for (uint256 i; i < extended.length; ++i) {
            _expectInvalidProof(extended[i], alertFixture.instances);
        }
        _assertUntouched(STREAM);
    }

    function testFuzz_RevertWhen_proofLengthChanges(uint256 length, uint256 fill) public {
        uint256 original = alertFixture.proof.length;
        length = bound(length, 0, 2 * original);
        if (length == original) length = original + 1;
        bytes memory proof = new bytes(length);
        for (uint256 i; i < length; ++i) {
            proof[i] = i < original ? alertFixture.proof[i] : bytes1(uint8(uint256(keccak256(abi.encode(fill, i)))));
        }
        _expectInvalidProof(proof, alertFixture.instances);
    }

    // ============================================================ instance counts

    /// @dev One window takes seven instances `[c, s, l_0, ..., l_4]`: the layout without a binding
    /// (two), with the binding as one instance (three, `[c, s, binding_value]`), a limb short or
    /// over, and every other count are refused before anything else is read.
    function test_RevertWhen_instanceCountIsWrong() public {
        uint256[7] memory counts = [uint256(0), 1, 2, 3, 6, 8, 14];
        for (uint256 i; i < counts.length; ++i) {
            uint256[] memory instances = new uint256[](counts[i]);
            for (uint256 j; j < counts[i]; ++j) {
                instances[j] = alertFixture.instances[j % 7];
            }
            if (counts[i] == 3) instances[2] = alertFixture.binding;
            vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 7, counts[i]));
            vm.prank(gateway);
            registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, instances);
        }
        _assertUntouched(STREAM);
    }

    // ============================================================ ABI encodings

    /// @dev submitAlert's arguments with the instances' tail placed before the proof's, and a junk
    /// word between head and tails: valid ABI that Solidity decodes, but not the canonical layout.
    function _nonCanonicalSubmit(
        bytes32 streamId,
        bytes32 prevHash,
        uint64 firstIndex,
        bytes memory proof,
        uint256[] memory instances
    ) internal view returns (bytes memory) {
        uint256 instancesOffset = 0xe0; // 6 head words + 1 junk word
        uint256 proofOffset = instancesOffset + 0x20 + 0x20 * instances.length;
        bytes memory paddedProof = bytes.concat(proof, new bytes((32 - proof.length % 32) % 32));
        return bytes.concat(
            IAlertRegistry.submitAlert.selector,
            abi.encode(streamId, alertFixture.modelId, prevHash, firstIndex, proofOffset, instancesOffset),
            bytes32(keccak256("junk between head and tails")),
            abi.encodePacked(instances.length, instances),
            abi.encodePacked(proof.length),
            paddedProof
        );
    }

    function test_submitAlert_nonCanonicalEncodingRecordsTheCanonicalAlert() public {
        bytes memory data = _nonCanonicalSubmit(STREAM, bytes32(0), 0, alertFixture.proof, alertFixture.instances);
        bytes memory canonical = abi.encodeCall(
            IAlertRegistry.submitAlert,
            (STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, alertFixture.instances)
        );
        assertTrue(keccak256(data) != keccak256(canonical), "encoding is canonical");

        // whatever the caller's layout, the verifier sees the canonical encoding
        vm.expectCall(
            address(fixtureVerifier),
            abi.encodeCall(IHalo2Verifier.verifyProof, (alertFixture.proof, alertFixture.instances))
        );
        vm.prank(gateway);
        (bool ok, bytes memory result) = address(registry).call(data);
        assertTrue(ok, "non-canonical encoding refused");
        bytes32 expected = _hashOf(alertFixture, STREAM, 0, bytes32(0), gateway);
        assertEq(abi.decode(result, (bytes32)), expected, "returned head");
        _assertStream(STREAM, expected, 1, 1);
    }

    /// @dev The recorded proof again, in another layout: its index is decoded like any other and
    /// the stream has passed it.
    function test_RevertWhen_nonCanonicalEncodingReplaysAStatement() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        bytes memory data = _nonCanonicalSubmit(STREAM, head, 0, alertFixture.proof, alertFixture.instances);
        vm.prank(gateway);
        (bool ok, bytes memory result) = address(registry).call(data);
        assertFalse(ok, "replay accepted");
        assertEq(result, abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 1, 0));
        _assertStream(STREAM, head, 1, 1);
    }

    function test_RevertWhen_encodingPointsOutsideTheCalldata() public {
        bytes memory data = _nonCanonicalSubmit(STREAM, bytes32(0), 0, alertFixture.proof, alertFixture.instances);
        bytes memory badOffset = _copy(data);
        bytes memory badLength = _copy(data);
        bytes memory cut = _copy(data);
        assembly {
            mstore(add(badOffset, add(0x24, 0x80)), 0xffffffff) // proof offset far beyond the end
            mstore(add(badLength, add(0x24, 0xe0)), 0xffffffff) // instances length beyond the end
            mstore(cut, sub(mload(cut), 0x20)) // the proof's last word missing
        }
        bytes[3] memory malformed = [badOffset, badLength, cut];
        for (uint256 i; i < malformed.length; ++i) {
            vm.prank(gateway);
            (bool ok, bytes memory result) = address(registry).call(malformed[i]);
            assertFalse(ok, "malformed encoding accepted");
            assertEq(result.length, 0, "decoder reverts without data");
        }
        _assertUntouched(STREAM);
    }

    /// @dev Why the registry re-encodes: the generated verifier reads part of the proof at fixed
    /// calldata offsets, so called directly with the same non-canonical layout it does not check
    /// the proof it hashed into its transcript (here it refuses; through the registry it never
    /// sees such a layout).
    function test_verifyProof_dependsOnTheCanonicalLayout() public {
        bytes memory paddedProof = alertFixture.proof; // 3,840 bytes: already a multiple of 32
        bytes memory shifted = bytes.concat(
            IHalo2Verifier.verifyProof.selector,
            abi.encode(uint256(0x60), uint256(0x60 + 0x20 + paddedProof.length)),
            bytes32(0),
            abi.encodePacked(paddedProof.length),
            paddedProof,
            abi.encodePacked(alertFixture.instances.length, alertFixture.instances)
        );
        // a failing precompile call burns the gas it was given: cap it
        (bool ok, bytes memory result) = address(fixtureVerifier).call{gas: 10_000_000}(shifted);
        assertFalse(ok && result.length == 32 && abi.decode(result, (uint256)) == 1, "shifted layout verified");
        assertTrue(fixtureVerifier.verifyProof(alertFixture.proof, alertFixture.instances), "canonical layout");
    }

    // ============================================================ other circuits

    function test_RevertWhen_proofIsForAnotherModel() public {
        // the foreign circuit's valid proof, submitted under the fixture model (both proofs are
        // bound to the same window, so only the verifier tells them apart)
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        vm.prank(gateway);
        registry.submitAlert(
            STREAM, alertFixture.modelId, bytes32(0), 0, foreignFixture.proof, foreignFixture.instances
        );

        // and the fixture proof under the foreign model
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, foreignFixture.modelId)
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, foreignFixture.modelId, bytes32(0), 0, alertFixture.proof, alertFixture.instances);
        _assertUntouched(STREAM);

        // each is accepted under its own model (in two registries: both are bound to index 0)
        _submitAs(gateway, STREAM, foreignFixture, bytes32(0));
        assertEq(registry.count(STREAM), 1, "foreign proof");
        AlertRegistry fresh = _registryWithFixtureModel();
        vm.prank(owner);
        fresh.setStreamGateway(STREAM, gateway);
        vm.prank(gateway);
        fresh.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, alertFixture.instances);
        assertEq(fresh.count(STREAM), 1, "fixture proof");
    }

    /// @dev A second registry with only the fixture's model registered and the gateway allowed.
    function _registryWithFixtureModel() internal returns (AlertRegistry fresh) {
        fresh = new AlertRegistry(owner);
        vm.startPrank(owner);
        fresh.registerModel(
            alertFixture.modelId,
            address(fixtureVerifier),
            alertFixture.threshold,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon,
            TEST_SRS_ID
        );
        fresh.setGateway(gateway, true);
        vm.stopPrank();
    }

    function test_RevertWhen_proofIsForAnUnregisteredVerifier() public {
        AlertRegistry fresh = _registryWithFixtureModel();

        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownModel.selector, foreignFixture.modelId)
        );
        vm.prank(gateway);
        fresh.submitAlert(STREAM, foreignFixture.modelId, bytes32(0), 0, foreignFixture.proof, foreignFixture.instances);
    }

    function test_RevertWhen_verifierCodeIsRegisteredUnderASecondModel() public {
        // a second deployment of the same verifier (same code, same key) under another id and a
        // lower threshold would let the alert proof be recorded again, with another alarm bit
        address copy = vm.deployCode(FIXTURE_VERIFIER);
        bytes32 otherId = keccak256("model/same-circuit-lower-threshold");
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryVerifierInUse.selector, copy, alertFixture.modelId)
        );
        vm.prank(owner);
        registry.registerModel(otherId, copy, 0, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID);
        assertEq(registry.model(otherId).verifier, address(0), "registered");
    }

    /// @dev A model whose threshold no score can reach never alarms: refused at registration.
    function test_RevertWhen_thresholdIsUnreachable() public {
        address copy = vm.deployCode(FIXTURE_VERIFIER);
        vm.etch(copy, address(foreignVerifier).code); // any code not registered yet
        AlertRegistry fresh = new AlertRegistry(owner);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnreachableThreshold.selector, R));
        vm.prank(owner);
        fresh.registerModel(
            keccak256("never-alarms"), copy, R, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        // the largest reachable threshold is accepted
        vm.prank(owner);
        fresh.registerModel(
            keccak256("alarms-at-the-top"), copy, R - 1, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
    }

    /// @dev Where a chain still lets a contract be replaced at its address, a verifier whose code
    /// changed after registration (another key, or one that accepts anything) is refused.
    function test_RevertWhen_verifierCodeChangedSinceRegistration() public {
        bytes memory accepting = address(new MockHalo2Verifier()).code;
        vm.etch(address(fixtureVerifier), accepting);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryVerifierChanged.selector,
                alertFixture.modelId,
                address(fixtureVerifier),
                keccak256(accepting)
            )
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, alertFixture.instances);
        _assertUntouched(STREAM);
    }

    // ============================================================ replays

    /// @dev A re-randomised proof of a recorded statement carries the same binding: the one place
    /// it could go is the window already recorded, which the stream has passed; any other
    /// window, stream or gateway is not the binding's.
    function test_RevertWhen_rerandomisedProofReplaysARecordedStatement() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        vm.prank(owner);
        registry.setStreamGateway(SECOND_STREAM, gateway);

        // same stream at the same index, and at the next one
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 1, 0));
        _submitAt(gateway, STREAM, rerandomised, head, 0);
        _expectBindingMismatch(gateway, STREAM, 1, rerandomised);
        _submitAt(gateway, STREAM, rerandomised, head, 1);
        // another stream of the gateway, another gateway's stream
        _expectBindingMismatch(gateway, SECOND_STREAM, 0, rerandomised);
        _submitAs(gateway, SECOND_STREAM, rerandomised, bytes32(0));
        _expectBindingMismatch(rival, OTHER_STREAM, 0, rerandomised);
        _submitAs(rival, OTHER_STREAM, rerandomised, bytes32(0));

        _assertStream(STREAM, head, 1, 1);
        _assertStream(SECOND_STREAM, bytes32(0), 0, 0);
        _assertStream(OTHER_STREAM, bytes32(0), 0, 0);
        assertEq(registry.proofRecord(STREAM, 0), head, "recorded under the first proof");
    }

    function test_RevertWhen_originalProofReplaysARerandomisedRecord() public {
        bytes32 head = _submitAs(gateway, STREAM, rerandomised, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 1, 0));
        _submitAs(gateway, STREAM, alertFixture, head);
        _expectBindingMismatch(gateway, STREAM, 1, alertFixture);
        _submitAt(gateway, STREAM, alertFixture, head, 1);
        _assertStream(STREAM, head, 1, 1);
    }

    // ============================================================ stale and forked heads

    function test_RevertWhen_prevHashIsStale() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, head, bytes32(0)));
        _submitAs(gateway, STREAM, normalFixture, bytes32(0));
        _assertStream(STREAM, head, 1, 1);
    }

    function test_RevertWhen_prevHashIsAForkedHead() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        // the head a fork would have if the first alert had been another window
        bytes32 forked = _hashOf(normalFixture, STREAM, 0, bytes32(0), gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, head, forked));
        _submitAs(gateway, STREAM, normalFixture, forked);
        _assertStream(STREAM, head, 1, 1);
    }

    // ============================================================ proofs copied from the mempool

    function test_RevertWhen_copiedProofIsSubmittedByAStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownGateway.selector, stranger));
        _submitAs(stranger, STREAM, alertFixture, bytes32(0));
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_copiedProofExtendsAnotherGatewaysStream() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        // the rival copies the gateway's next transaction, head and index included
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamGateway.selector, STREAM, gateway, rival)
        );
        _submitAs(rival, STREAM, normalFixture, head);
        _assertStream(STREAM, head, 1, 1);
        // the gateway's own transaction still lands
        bytes32 next = _submitAs(gateway, STREAM, normalFixture, head);
        _assertStream(STREAM, next, 2, 2);
    }

    /// @dev Landing a copy of the gateway's first transaction before it cannot capture the stream:
    /// the owner opened it for the gateway. A stream nobody opened takes no alert at all.
    function test_RevertWhen_rivalFrontRunsTheFirstAlertOfAStream() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamGateway.selector, STREAM, gateway, rival)
        );
        _submitAs(rival, STREAM, alertFixture, bytes32(0));
        _assertUntouched(STREAM);
        bytes32 unopened = keccak256("stream/not-yet-opened");
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, unopened));
        _submitAs(rival, unopened, alertFixture, bytes32(0));
        _assertUntouched(unopened);
        // the gateway's own transaction lands
        _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        assertEq(registry.count(STREAM), 1, "count");
    }

    /// @dev The whole mempool race: the rival sees the gateway's pending first alert and lands a
    /// copy before it, in the gateway's stream (not its stream to write) and in a stream of its own
    /// (the proof names the gateway, not the rival). Neither stream moves, and the gateway's
    /// original transaction, mined after, records the alert as if nobody had tried.
    function test_RevertWhen_rivalFrontRunsAPendingProof() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamGateway.selector, STREAM, gateway, rival)
        );
        _submitAs(rival, STREAM, alertFixture, bytes32(0));
        _expectBindingMismatch(rival, OTHER_STREAM, 0, alertFixture);
        _submitAs(rival, OTHER_STREAM, alertFixture, bytes32(0));
        _assertUntouched(STREAM);
        _assertUntouched(OTHER_STREAM);

        bytes32 expected = _hashOf(alertFixture, STREAM, 0, bytes32(0), gateway);
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(
            STREAM,
            0,
            alertFixture.modelId,
            0,
            expected,
            bytes32(0),
            gateway,
            alertFixture.instances[0],
            alertFixture.instances[1],
            true
        );
        assertEq(_submitAs(gateway, STREAM, alertFixture, bytes32(0)), expected, "victim's head");
        _assertStream(STREAM, expected, 1, 1);
        assertEq(registry.proofRecord(STREAM, 0), expected, "recorded for the victim");
    }

    /// @dev A rival with a stream of its own copies the gateway's pending proof (the gateway's
    /// second window, index 1) into it: at the rival's own next index and at the victim's
    /// index, the binding is the gateway's and names the gateway's stream. The rival's stream does
    /// not move, and the victim's transaction still lands.
    function test_RevertWhen_rivalCopiesAPendingProofIntoItsOwnStream() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        uint64[2] memory indexes = [uint64(0), normalFixture.index];
        for (uint256 i; i < indexes.length; ++i) {
            _expectBindingMismatch(rival, OTHER_STREAM, indexes[i], normalFixture);
            _submitAt(rival, OTHER_STREAM, normalFixture, bytes32(0), indexes[i]);
        }
        _assertStream(OTHER_STREAM, bytes32(0), 0, 0);
        _assertStream(STREAM, head, 1, 1);

        bytes32 next = _submitAs(gateway, STREAM, normalFixture, head);
        assertEq(next, _hashOf(normalFixture, STREAM, 1, head, gateway), "victim's head");
        _assertStream(STREAM, next, 2, 2);
    }

    /// @dev Binding limbs rewritten to the rival's own (so the registry's comparison passes) are a
    /// statement the proof does not prove; the same for the gateway relabelling its proof for
    /// another index.
    function test_RevertWhen_bindingLimbsAreRewritten() public {
        uint256[] memory rivals = AlertChain.single(
            alertFixture.instances[0], alertFixture.instances[1], registry.bindingOf(rival, OTHER_STREAM, 0)
        );
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        vm.prank(rival);
        registry.submitAlert(OTHER_STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, rivals);

        uint256[] memory relabelled = AlertChain.single(
            alertFixture.instances[0], alertFixture.instances[1], registry.bindingOf(gateway, STREAM, 1)
        );
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 1, alertFixture.proof, relabelled);

        _assertUntouched(OTHER_STREAM);
        _assertUntouched(STREAM);
    }

    /// @dev A copied or moved real proof is named with exactly the values a gateway's logs show:
    /// the binding the window needs (bindingOf the caller, stream and index) and the proof's five
    /// limbs recomposed, the fixture's `binding_value` (literals from `cast keccak`/`cast
    /// abi-encode`, masked to 140 bits).
    function test_RevertWhen_movedProofNamesTheBindingAndItsRecomposedLimbs() public {
        uint256 proofs = 0x61103c74c1b00ceb696cfb45bea5567e848; // (gateway, STREAM, 0)
        uint256 secondStream = 0xb85bdb7f844524a0e5493322ac61dc99a34; // (gateway, SECOND_STREAM, 0)
        uint256 nextIndex = 0xa36e8333e8e020c7be7b8e6a9c822ef3694; // (gateway, STREAM, 1)
        uint256 rivals = 0x53ca2e69756f892294b52ff985a130162e4; // (rival, OTHER_STREAM, 0)
        assertEq(alertFixture.binding, proofs, "binding_value");
        assertEq(_binding(alertFixture), proofs, "limbs recomposed");
        assertEq(registry.bindingOf(gateway, STREAM, 0), proofs, "bindingOf(gateway, STREAM, 0)");
        assertEq(registry.bindingOf(gateway, SECOND_STREAM, 0), secondStream, "bindingOf(gateway, SECOND_STREAM, 0)");
        assertEq(registry.bindingOf(gateway, STREAM, 1), nextIndex, "bindingOf(gateway, STREAM, 1)");
        assertEq(normalFixture.binding, nextIndex, "the normal fixture's binding_value");
        assertEq(registry.bindingOf(rival, OTHER_STREAM, 0), rivals, "bindingOf(rival, OTHER_STREAM, 0)");
        vm.prank(owner);
        registry.setStreamGateway(SECOND_STREAM, gateway);

        bytes4 mismatch = IAlertRegistry.AlertRegistryBindingMismatch.selector;
        vm.expectRevert(abi.encodeWithSelector(mismatch, 0, secondStream, proofs));
        _submitAt(gateway, SECOND_STREAM, alertFixture, bytes32(0), 0);
        vm.expectRevert(abi.encodeWithSelector(mismatch, 0, nextIndex, proofs));
        _submitAt(gateway, STREAM, alertFixture, bytes32(0), 1);
        vm.expectRevert(abi.encodeWithSelector(mismatch, 0, rivals, proofs));
        _submitAt(rival, OTHER_STREAM, alertFixture, bytes32(0), 0);

        _assertUntouched(STREAM);
        _assertUntouched(SECOND_STREAM);
        _assertUntouched(OTHER_STREAM);
    }

    /// @dev The real proof at its own window with its limbs re-encoded to the same 140-bit value
    /// (a carry moved from limb 1 to limb 0), or to the same field element (limb 0 as the negative
    /// r - 2^28 + l_0, limb 1 one larger): the registry refuses both limb by limb, naming the
    /// recomposition (the binding, and the binding plus r); the verifier refuses them as well, as
    /// they are not the instances the proof was made for. The stream does not move.
    function test_RevertWhen_fixtureLimbsAreReencoded() public {
        uint256 binding = alertFixture.binding;
        uint256[] memory carried = _copyInstances(alertFixture.instances);
        assertTrue(carried[3] != 0, "no carry to move");
        carried[2] += AlertChain.LIMB_BOUND;
        carried[3] -= 1;
        uint256[] memory negative = _copyInstances(alertFixture.instances);
        negative[2] = R - AlertChain.LIMB_BOUND + negative[2];
        negative[3] += 1;
        uint256[][2] memory encodings = [carried, negative];
        uint256[2] memory got = [binding, binding + R];

        for (uint256 i; i < encodings.length; ++i) {
            assertEq(AlertChain.recompose(encodings[i], 2), got[i], "recomposed");
            assertEq(AlertChain.recompose(encodings[i], 2) % R, binding, "the binding in the field");
            vm.expectRevert(
                abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, binding, got[i])
            );
            vm.prank(gateway);
            registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), 0, alertFixture.proof, encodings[i]);

            // a failing precompile call burns the gas it was given: cap it
            (bool ok, bytes memory result) = address(fixtureVerifier).call{gas: 10_000_000}(
                abi.encodeCall(IHalo2Verifier.verifyProof, (alertFixture.proof, encodings[i]))
            );
            assertFalse(ok && result.length == 32 && abi.decode(result, (uint256)) == 1, "verifier accepts");
        }
        _assertUntouched(STREAM);
        _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        assertEq(registry.count(STREAM), 1, "the proof as made");
    }

    // ============================================================ other streams and other indexes

    /// @dev The gateway itself moves a proof to another stream it was opened for (a window of one
    /// sensor passed off as another's), before and after recording it where it belongs.
    function test_RevertWhen_gatewayMovesAProofToAnotherOfItsStreams() public {
        vm.prank(owner);
        registry.setStreamGateway(SECOND_STREAM, gateway);

        _expectBindingMismatch(gateway, SECOND_STREAM, 0, alertFixture);
        _submitAs(gateway, SECOND_STREAM, alertFixture, bytes32(0));
        _assertUntouched(SECOND_STREAM);

        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        _expectBindingMismatch(gateway, SECOND_STREAM, 0, alertFixture);
        _submitAs(gateway, SECOND_STREAM, alertFixture, bytes32(0));
        _assertStream(SECOND_STREAM, bytes32(0), 0, 0);
        _assertStream(STREAM, head, 1, 1);
    }

    /// @dev The right gateway in the right stream, at an index the proof was not made for: the
    /// alert window moved one later (its slot taken by a quiet window), the normal window moved
    /// into the alert's slot, the alert window at the far end of the largest skip.
    function test_RevertWhen_proofIsSubmittedAtAnotherIndex() public {
        uint64 maxGap = registry.MAX_INDEX_GAP();
        _expectBindingMismatch(gateway, STREAM, 1, alertFixture);
        _submitAt(gateway, STREAM, alertFixture, bytes32(0), 1);
        _expectBindingMismatch(gateway, STREAM, 0, normalFixture);
        _submitAt(gateway, STREAM, normalFixture, bytes32(0), 0);
        _expectBindingMismatch(gateway, STREAM, maxGap, alertFixture);
        _submitAt(gateway, STREAM, alertFixture, bytes32(0), maxGap);
        _assertUntouched(STREAM);

        // each at its own index, in order
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        head = _submitAs(gateway, STREAM, normalFixture, head);
        _assertStream(STREAM, head, 2, 2);
    }

    /// @dev A recorded proof submitted again further on (its statement passed off as a later
    /// window's), by the original and by a re-randomised proof.
    function test_RevertWhen_recordedProofIsResubmittedAtALaterIndex() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        uint64[3] memory later = [uint64(1), 7, 1 + registry.MAX_INDEX_GAP()];
        for (uint256 i; i < later.length; ++i) {
            _expectBindingMismatch(gateway, STREAM, later[i], alertFixture);
            _submitAt(gateway, STREAM, alertFixture, head, later[i]);
            _expectBindingMismatch(gateway, STREAM, later[i], rerandomised);
            _submitAt(gateway, STREAM, rerandomised, head, later[i]);
        }
        _assertStream(STREAM, head, 1, 1);
    }

    /// @dev Indexes strictly increase: the last recorded index again, or one before it, is refused
    /// before the binding is even looked at.
    function test_RevertWhen_indexIsNotAfterTheLastRecorded() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        head = _submitAs(gateway, STREAM, normalFixture, head);

        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 2, 1));
        _submitAs(gateway, STREAM, normalFixture, head);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 2, 0));
        _submitAs(gateway, STREAM, rerandomised, head);
        _assertStream(STREAM, head, 2, 2);
    }

    /// @dev A skip of more than MAX_INDEX_GAP windows is refused before the binding: from a fresh
    /// stream and from a stream with alerts. (No real proof is bound that far ahead; a skip the
    /// registry accepts is in AlertRegistryAdministrationTest.)
    function test_RevertWhen_indexSkipsMoreThanMaxIndexGap() public {
        uint64 maxGap = registry.MAX_INDEX_GAP();
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexGap.selector, STREAM, 0, maxGap + 1, maxGap)
        );
        _submitAt(gateway, STREAM, alertFixture, bytes32(0), maxGap + 1);
        _assertUntouched(STREAM);

        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexGap.selector, STREAM, 1, maxGap + 2, maxGap)
        );
        _submitAt(gateway, STREAM, normalFixture, head, maxGap + 2);
        _assertStream(STREAM, head, 1, 1);
    }
}

/// @dev A verifier that tries to re-enter the registry while it verifies, and says yes only if
/// that worked.
contract ReentrantVerifier is IHalo2Verifier {
    AlertRegistry internal immutable _registry;

    constructor(AlertRegistry registry_) {
        _registry = registry_;
    }

    function verifyProof(bytes calldata proof, uint256[] calldata instances) external returns (bool) {
        uint256[] memory other = new uint256[](instances.length);
        for (uint256 i; i < instances.length; ++i) {
            other[i] = instances[i];
        }
        other[0] = instances[0] + 1;
        try _registry.submitAlert(
            keccak256("stream/reentered"), keccak256("model/reentrant"), bytes32(0), 0, proof, other
        ) returns (
            bytes32
        ) {
            return true;
        } catch {
            return false;
        }
    }
}

/// @dev Owner-only administration (with events), stream binding, the verifier call's strictness and
/// window indexes no real proof is bound to (skips up to and past MAX_INDEX_GAP), against
/// controllable verifiers.
contract AlertRegistryAdministrationTest is Test {
    bytes32 internal constant MODEL = keccak256("model/one-window");
    bytes32 internal constant STREAM = keccak256("stream/a");
    bytes internal constant PROOF = hex"c0ffee";

    AlertRegistry internal registry;
    MockHalo2Verifier internal verifier;
    address internal owner;
    address internal gateway;
    address internal rival;

    function setUp() public {
        owner = makeAddr("owner");
        gateway = makeAddr("gateway");
        rival = makeAddr("rival-gateway");
        registry = new AlertRegistry(owner);
        verifier = new MockHalo2Verifier();
        vm.startPrank(owner);
        registry.registerModel(
            MODEL, address(verifier), 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setGateway(rival, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
    }

    /// @dev One window at the stream's next index, bound for the sender. It reads nextIndex from
    /// the registry first, so after vm.expectRevert use _submitAt.
    function _submit(address sender, bytes32 streamId, bytes32 prevHash, uint256 commitment)
        internal
        returns (bytes32)
    {
        return _submitAt(sender, streamId, prevHash, registry.nextIndex(streamId), commitment);
    }

    function _submitAt(address sender, bytes32 streamId, bytes32 prevHash, uint64 index, uint256 commitment)
        internal
        returns (bytes32)
    {
        uint256[] memory instances = AlertChain.single(commitment, 7, sender, streamId, index);
        vm.prank(sender);
        return registry.submitAlert(streamId, MODEL, prevHash, index, PROOF, instances);
    }

    function _assertStream(bytes32 streamId, bytes32 head, uint64 streamCount, uint64 next) internal view {
        assertEq(registry.head(streamId), head, "head moved");
        assertEq(registry.count(streamId), streamCount, "count moved");
        assertEq(registry.nextIndex(streamId), next, "nextIndex moved");
    }

    // ============================================================ owner only, with events

    function testFuzz_RevertWhen_administrationIsCalledByOtherThanTheOwner(address caller) public {
        vm.assume(caller != owner);
        bytes4 unauthorized = IAlertRegistry.AlertRegistryUnauthorized.selector;
        address newVerifier = address(new MockHalo2Verifier());

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.registerModel(
            keccak256("model/new"), newVerifier, 1, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.setGateway(caller, true);

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.setStreamGateway(STREAM, caller);

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.transferOwnership(caller);

        // nothing was offered to anyone
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryNotPendingOwner.selector, caller, address(0))
        );
        vm.prank(caller);
        registry.acceptOwnership();

        assertFalse(registry.isGateway(caller) && caller != gateway && caller != rival, "gateway added");
        assertEq(registry.streamGateway(STREAM), gateway, "stream rebound");
        assertEq(registry.owner(), owner, "owner");
        assertEq(registry.pendingOwner(), address(0), "no offer");
    }

    function test_setGateway_emitsGatewaySet() public {
        address newGateway = makeAddr("new-gateway");
        vm.expectEmit(address(registry));
        emit IAlertRegistry.GatewaySet(newGateway, true);
        vm.prank(owner);
        registry.setGateway(newGateway, true);
    }

    function test_setStreamGateway_bindsAndEmits() public {
        vm.expectEmit(address(registry));
        emit IAlertRegistry.StreamGatewaySet(STREAM, gateway, rival);
        vm.prank(owner);
        registry.setStreamGateway(STREAM, rival);
        assertEq(registry.streamGateway(STREAM), rival, "bound");
    }

    function test_RevertWhen_registerModelIdIsZero() public {
        address newVerifier = address(new MockHalo2Verifier());
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidModelId.selector, bytes32(0)));
        vm.prank(owner);
        registry.registerModel(bytes32(0), newVerifier, 1, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID);
    }

    // ============================================================ stream binding

    function test_RevertWhen_firstAlertOnAStreamNobodyOpened() public {
        bytes32 unopened = keccak256("stream/unopened");
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, unopened));
        _submitAt(gateway, unopened, bytes32(0), 0, 1);
        assertEq(registry.streamGateway(unopened), address(0), "still not open");
        assertEq(registry.count(unopened), 0, "count");
    }

    function test_RevertWhen_anotherGatewayExtendsABoundStream() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamGateway.selector, STREAM, gateway, rival)
        );
        _submitAt(rival, STREAM, head, 1, 2);
        assertEq(registry.count(STREAM), 1, "count");
    }

    function test_setStreamGateway_handsAStreamToAReplacementGateway() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        vm.startPrank(owner);
        registry.setGateway(gateway, false); // the old box is retired
        registry.setStreamGateway(STREAM, rival);
        vm.stopPrank();

        bytes32 next = _submit(rival, STREAM, head, 2);
        assertEq(next, AlertChain.alertHash(head, STREAM, 1, 1, MODEL, rival, 2, 7, false), "chain continues");
        _assertStream(STREAM, next, 2, 2);
    }

    function test_RevertWhen_submittingToAClosedStream() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        vm.prank(owner);
        registry.setStreamGateway(STREAM, address(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, STREAM));
        _submitAt(rival, STREAM, head, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, STREAM));
        _submitAt(gateway, STREAM, head, 1, 2);
        assertEq(registry.count(STREAM), 1, "count");
    }

    // ============================================================ the verifier call

    function test_RevertWhen_verifierReentersTheRegistry() public {
        ReentrantVerifier reentrant = new ReentrantVerifier(registry);
        bytes32 modelId = keccak256("model/reentrant");
        vm.prank(owner);
        registry.registerModel(
            modelId, address(reentrant), 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );

        // STATICCALL: the nested submitAlert cannot write, so the verifier says no
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, modelId, bytes32(0), 0, PROOF, AlertChain.single(1, 7, gateway, STREAM, 0));
        assertEq(registry.count(keccak256("stream/reentered")), 0, "re-entered");
    }

    function test_RevertWhen_verifierAnswersOtherThanTrue() public {
        // (answer, words): 2 is not true, 1 in two words is not one bool, 0 words is nothing
        uint256[2][3] memory answers = [[uint256(2), 1], [uint256(1), 2], [uint256(1), 0]];
        for (uint256 i; i < answers.length; ++i) {
            address sloppy = address(new SloppyVerifier(answers[i][0], answers[i][1]));
            bytes32 modelId = keccak256(abi.encode("model/sloppy", i));
            vm.prank(owner);
            registry.registerModel(modelId, sloppy, 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID);

            vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, modelId));
            vm.prank(gateway);
            registry.submitAlert(STREAM, modelId, bytes32(0), 0, PROOF, AlertChain.single(1, 7, gateway, STREAM, 0));
        }
    }

    // ============================================================ window indexes beyond the fixtures

    /// @dev A gateway may skip windows (those it did not record), up to MAX_INDEX_GAP at a time;
    /// the skip is visible to anyone reading the events: the window's index, not only its seq.
    function test_submitAlert_skipWithinMaxIndexGapIsVisible() public {
        uint64 maxGap = registry.MAX_INDEX_GAP();
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);

        uint64 index = 1 + maxGap;
        bytes32 expected = AlertChain.alertHash(head, STREAM, 1, index, MODEL, gateway, 2, 7, false);
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(STREAM, 1, MODEL, index, expected, head, gateway, 2, 7, false);
        assertEq(_submitAt(gateway, STREAM, head, index, 2), expected, "head");
        _assertStream(STREAM, expected, 2, index + 1);
    }

    /// @dev A gateway cannot jump its stream's index arbitrarily far ahead (towards the end of
    /// the index space) in one submission, even with a binding made for that index.
    function test_RevertWhen_skipExceedsMaxIndexGap() public {
        uint64 maxGap = registry.MAX_INDEX_GAP();
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        uint64[2] memory indexes = [2 + maxGap, type(uint64).max];
        for (uint256 i; i < indexes.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexGap.selector, STREAM, 1, indexes[i], maxGap)
            );
            _submitAt(gateway, STREAM, head, indexes[i], 2);
        }
        _assertStream(STREAM, head, 1, 1);
    }

    /// @dev A window the gateway skipped (say an alarm it held back) cannot be filled in later,
    /// not even with a proof bound to exactly that index.
    function test_RevertWhen_skippedWindowIsFilledInLater() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        head = _submitAt(gateway, STREAM, head, 5, 2);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM, 6, 3));
        _submitAt(gateway, STREAM, head, 3, 3);
        _assertStream(STREAM, head, 2, 6);
    }
}
