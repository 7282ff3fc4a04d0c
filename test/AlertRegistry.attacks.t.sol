// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {MockHalo2Verifier} from "./utils/MockHalo2Verifier.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";

/// @dev Attacks on the registry with REAL EZKL proofs (test/fixtures/, made by `make fixtures`):
/// non-canonical field elements and curve points, flipped, truncated and extended proofs, wrong
/// instance counts, non-canonical ABI encodings, proofs of another circuit, replays with a
/// re-randomised proof, stale and forked heads, and proofs copied out of the mempool.
contract AlertRegistryAttacksTest is Test {
    struct ProofFixture {
        bytes proof;
        uint256[] instances;
        bytes32 modelId;
        uint256 threshold;
    }

    /// @dev The BN254 base field modulus q: proof points' coordinates live in it.
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant R = AlertChain.FIELD_MODULUS;
    bytes32 internal constant STREAM = keccak256("stream/victim");
    bytes32 internal constant OTHER_STREAM = keccak256("stream/other");

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
        gateway = makeAddr("gateway");
        rival = makeAddr("rival-gateway");
        stranger = makeAddr("stranger");
        registry = new AlertRegistry(owner);
        fixtureVerifier = IHalo2Verifier(vm.deployCode("FixtureVerifier.sol:FixtureVerifier"));
        foreignVerifier = IHalo2Verifier(vm.deployCode("ForeignVerifier.sol:ForeignVerifier"));

        vm.startPrank(owner);
        registry.registerModel(
            alertFixture.modelId,
            address(fixtureVerifier),
            alertFixture.threshold,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon
        );
        registry.registerModel(
            foreignFixture.modelId,
            address(foreignVerifier),
            foreignFixture.threshold,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon
        );
        registry.setGateway(gateway, true);
        registry.setGateway(rival, true);
        registry.setStreamGateway(STREAM, gateway);
        registry.setStreamGateway(OTHER_STREAM, rival);
        vm.stopPrank();
    }

    // ============================================================ helpers

    function _load(string memory name) internal view returns (ProofFixture memory fixture) {
        string memory json = vm.readFile(string.concat("test/fixtures/", name));
        fixture.proof = vm.parseJsonBytes(json, ".proof");
        fixture.instances = vm.parseJsonUintArray(json, ".instances");
        fixture.modelId = vm.parseJsonBytes32(json, ".model_id");
        fixture.threshold = vm.parseJsonUint(json, ".threshold");
    }

    function _submitAs(address sender, bytes32 streamId, ProofFixture memory fixture, bytes32 prevHash)
        internal
        returns (bytes32)
    {
        vm.prank(sender);
        return registry.submitAlert(streamId, fixture.modelId, prevHash, fixture.proof, fixture.instances);
    }

    function _expectInvalidProof(bytes memory proof, uint256[] memory instances) internal {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), proof, instances);
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
            prevHash, streamId, seq, fixture.modelId, by, fixture.instances[0], score, score >= fixture.threshold
        );
    }

    function _assertUntouched(bytes32 streamId) internal view {
        assertEq(registry.head(streamId), bytes32(0), "head moved");
        assertEq(registry.count(streamId), 0, "count moved");
        assertFalse(registry.isRecorded(_statement(alertFixture)), "statement recorded");
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
        assertEq(rerandomised.instances.length, 2, "instances");
        assertEq(rerandomised.instances[0], alertFixture.instances[0], "commitment");
        assertEq(rerandomised.instances[1], alertFixture.instances[1], "score");
        assertTrue(keccak256(rerandomised.proof) != keccak256(alertFixture.proof), "same proof bytes");
        assertTrue(fixtureVerifier.verifyProof(rerandomised.proof, rerandomised.instances), "rerandomised proof");
        assertTrue(foreignVerifier.verifyProof(foreignFixture.proof, foreignFixture.instances), "foreign proof");
    }

    // ============================================================ field elements

    function test_RevertWhen_commitmentIsShiftedByTheModulus() public {
        uint256[] memory instances = AlertChain.single(alertFixture.instances[0] + R, alertFixture.instances[1]);
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 0, instances[0])
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), alertFixture.proof, instances);
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_scoreIsShiftedByTheModulus() public {
        uint256[] memory instances = AlertChain.single(alertFixture.instances[0], alertFixture.instances[1] + R);
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 1, instances[1])
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), alertFixture.proof, instances);
        _assertUntouched(STREAM);
    }

    /// @dev x + k*r is the same field element as x: accepting it would make a second statement (and
    /// a second record) out of one proof.
    function testFuzz_RevertWhen_instanceIsNotCanonical(uint256 multiple, bool inScore) public {
        uint256 index = inScore ? 1 : 0;
        uint256 value = alertFixture.instances[index];
        multiple = bound(multiple, 1, (type(uint256).max - value) / R);
        uint256[] memory instances = AlertChain.single(alertFixture.instances[0], alertFixture.instances[1]);
        instances[index] = value + multiple * R;

        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, index, instances[index])
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), alertFixture.proof, instances);
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

    function test_RevertWhen_instanceCountIsWrong() public {
        uint256[3] memory counts = [uint256(0), 1, 3];
        for (uint256 i; i < counts.length; ++i) {
            uint256[] memory instances = new uint256[](counts[i]);
            for (uint256 j; j < counts[i] && j < 2; ++j) {
                instances[j] = alertFixture.instances[j];
            }
            vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 2, counts[i]));
            vm.prank(gateway);
            registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), alertFixture.proof, instances);
        }
        _assertUntouched(STREAM);
    }

    // ============================================================ ABI encodings

    /// @dev submitAlert's arguments with the instances' tail placed before the proof's, and a junk
    /// word between head and tails: valid ABI that Solidity decodes, but not the canonical layout.
    function _nonCanonicalSubmit(bytes32 streamId, bytes32 prevHash, bytes memory proof, uint256[] memory instances)
        internal
        view
        returns (bytes memory)
    {
        uint256 instancesOffset = 0xc0; // 5 head words + 1 junk word
        uint256 proofOffset = instancesOffset + 0x20 + 0x20 * instances.length;
        bytes memory paddedProof = bytes.concat(proof, new bytes((32 - proof.length % 32) % 32));
        return bytes.concat(
            IAlertRegistry.submitAlert.selector,
            abi.encode(streamId, alertFixture.modelId, prevHash, proofOffset, instancesOffset),
            bytes32(keccak256("junk between head and tails")),
            abi.encodePacked(instances.length, instances),
            abi.encodePacked(proof.length),
            paddedProof
        );
    }

    function test_submitAlert_nonCanonicalEncodingRecordsTheCanonicalAlert() public {
        bytes memory data = _nonCanonicalSubmit(STREAM, bytes32(0), alertFixture.proof, alertFixture.instances);
        bytes memory canonical = abi.encodeCall(
            IAlertRegistry.submitAlert,
            (STREAM, alertFixture.modelId, bytes32(0), alertFixture.proof, alertFixture.instances)
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
        assertEq(registry.head(STREAM), expected, "head");
    }

    function test_RevertWhen_nonCanonicalEncodingReplaysAStatement() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        bytes memory data = _nonCanonicalSubmit(STREAM, head, alertFixture.proof, alertFixture.instances);
        vm.prank(gateway);
        (bool ok, bytes memory result) = address(registry).call(data);
        assertFalse(ok, "replay accepted");
        assertEq(result, abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, _statement(alertFixture)));
        assertEq(registry.count(STREAM), 1, "count moved");
    }

    function test_RevertWhen_encodingPointsOutsideTheCalldata() public {
        bytes memory data = _nonCanonicalSubmit(STREAM, bytes32(0), alertFixture.proof, alertFixture.instances);
        bytes memory badOffset = _copy(data);
        bytes memory badLength = _copy(data);
        bytes memory cut = _copy(data);
        assembly {
            mstore(add(badOffset, add(0x24, 0x60)), 0xffffffff) // proof offset far beyond the end
            mstore(add(badLength, add(0x24, 0xc0)), 0xffffffff) // instances length beyond the end
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
        // the foreign circuit's valid proof, submitted under the fixture model
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, alertFixture.modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), foreignFixture.proof, foreignFixture.instances);

        // and the fixture proof under the foreign model
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, foreignFixture.modelId)
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM, foreignFixture.modelId, bytes32(0), alertFixture.proof, alertFixture.instances);
        _assertUntouched(STREAM);

        // each is accepted under its own model
        bytes32 head = _submitAs(gateway, STREAM, foreignFixture, bytes32(0));
        _submitAs(gateway, STREAM, alertFixture, head);
        assertEq(registry.count(STREAM), 2, "count");
    }

    function test_RevertWhen_proofIsForAnUnregisteredVerifier() public {
        AlertRegistry fresh = new AlertRegistry(owner);
        vm.startPrank(owner);
        fresh.registerModel(
            alertFixture.modelId,
            address(fixtureVerifier),
            alertFixture.threshold,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon
        );
        fresh.setGateway(gateway, true);
        vm.stopPrank();

        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownModel.selector, foreignFixture.modelId)
        );
        vm.prank(gateway);
        fresh.submitAlert(STREAM, foreignFixture.modelId, bytes32(0), foreignFixture.proof, foreignFixture.instances);
    }

    function test_RevertWhen_verifierCodeIsRegisteredUnderASecondModel() public {
        // a second deployment of the same verifier (same code, same key) under another id and a
        // lower threshold would let the alert proof be recorded again, with another alarm bit
        address copy = vm.deployCode("FixtureVerifier.sol:FixtureVerifier");
        bytes32 otherId = keccak256("model/same-circuit-lower-threshold");
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryVerifierInUse.selector, copy, alertFixture.modelId)
        );
        vm.prank(owner);
        registry.registerModel(otherId, copy, 0, 1, IAlertRegistry.CommitmentScheme.Poseidon);
        assertEq(registry.model(otherId).verifier, address(0), "registered");
    }

    /// @dev A model whose threshold no score can reach never alarms: refused at registration.
    function test_RevertWhen_thresholdIsUnreachable() public {
        address copy = vm.deployCode("FixtureVerifier.sol:FixtureVerifier");
        vm.etch(copy, address(foreignVerifier).code); // any code not registered yet
        AlertRegistry fresh = new AlertRegistry(owner);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnreachableThreshold.selector, R));
        vm.prank(owner);
        fresh.registerModel(keccak256("never-alarms"), copy, R, 1, IAlertRegistry.CommitmentScheme.Poseidon);
        // the largest reachable threshold is accepted
        vm.prank(owner);
        fresh.registerModel(keccak256("alarms-at-the-top"), copy, R - 1, 1, IAlertRegistry.CommitmentScheme.Poseidon);
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
        registry.submitAlert(STREAM, alertFixture.modelId, bytes32(0), alertFixture.proof, alertFixture.instances);
        _assertUntouched(STREAM);
    }

    // ============================================================ replays

    function test_RevertWhen_rerandomisedProofReplaysARecordedStatement() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        bytes32 statement = _statement(alertFixture);

        // same stream, another stream, another gateway: the statement is the key, not the bytes
        bytes32 second = keccak256("stream/victim-second");
        vm.prank(owner);
        registry.setStreamGateway(second, gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, statement));
        _submitAs(gateway, STREAM, rerandomised, head);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, statement));
        _submitAs(gateway, second, rerandomised, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, statement));
        _submitAs(rival, OTHER_STREAM, rerandomised, bytes32(0));

        assertEq(registry.count(STREAM), 1, "count");
        assertEq(registry.count(OTHER_STREAM), 0, "other stream");
        assertEq(registry.alertHashOf(statement), head, "recorded under the first proof");
    }

    function test_RevertWhen_originalProofReplaysARerandomisedRecord() public {
        bytes32 head = _submitAs(gateway, STREAM, rerandomised, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, _statement(alertFixture)));
        _submitAs(gateway, STREAM, alertFixture, head);
    }

    // ============================================================ stale and forked heads

    function test_RevertWhen_prevHashIsStale() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, head, bytes32(0)));
        _submitAs(gateway, STREAM, normalFixture, bytes32(0));
        assertEq(registry.count(STREAM), 1, "count");
    }

    function test_RevertWhen_prevHashIsAForkedHead() public {
        bytes32 head = _submitAs(gateway, STREAM, alertFixture, bytes32(0));
        // the head a fork would have if the first alert had been another window
        bytes32 forked = _hashOf(normalFixture, STREAM, 0, bytes32(0), gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, head, forked));
        _submitAs(gateway, STREAM, normalFixture, forked);
        assertEq(registry.head(STREAM), head, "head moved");
    }

    // ============================================================ proofs copied from the mempool

    function test_RevertWhen_copiedProofIsSubmittedByAStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownGateway.selector, stranger));
        _submitAs(stranger, STREAM, alertFixture, bytes32(0));
        _assertUntouched(STREAM);
    }

    function test_RevertWhen_copiedProofExtendsAnotherGatewaysStream() public {
        bytes32 head = _submitAs(gateway, STREAM, normalFixture, bytes32(0));
        // the rival copies the gateway's next transaction, head included
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamGateway.selector, STREAM, gateway, rival)
        );
        _submitAs(rival, STREAM, alertFixture, head);
        // the gateway's own transaction still lands
        _submitAs(gateway, STREAM, alertFixture, head);
        assertEq(registry.count(STREAM), 2, "count");
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

    /// @dev The limit of what the registry can do without the gateway's address inside the proof:
    /// a registered gateway that front-runs into a stream of its own gets the record, signed with
    /// its own address (so the theft is attributable and the owner can revoke it), and the victim
    /// gets a replay.
    function test_copiedProofInTheThiefsOwnStreamIsAttributedToTheThief() public {
        bytes32 head = _submitAs(rival, OTHER_STREAM, alertFixture, bytes32(0));
        assertEq(head, _hashOf(alertFixture, OTHER_STREAM, 0, bytes32(0), rival), "record names the rival");
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryReplay.selector, _statement(alertFixture)));
        _submitAs(gateway, STREAM, alertFixture, bytes32(0));
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
        uint256[] memory other = new uint256[](2);
        other[0] = instances[0] + 1;
        other[1] = instances[1];
        try _registry.submitAlert(
            keccak256("stream/reentered"), keccak256("model/reentrant"), bytes32(0), proof, other
        ) returns (
            bytes32
        ) {
            return true;
        } catch {
            return false;
        }
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

/// @dev Owner-only administration (with events), stream binding and the verifier call's strictness,
/// against controllable verifiers.
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
        registry.registerModel(MODEL, address(verifier), 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon);
        registry.setGateway(gateway, true);
        registry.setGateway(rival, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
    }

    function _submit(address sender, bytes32 streamId, bytes32 prevHash, uint256 commitment)
        internal
        returns (bytes32)
    {
        vm.prank(sender);
        return registry.submitAlert(streamId, MODEL, prevHash, PROOF, AlertChain.single(commitment, 7));
    }

    // ============================================================ owner only, with events

    function testFuzz_RevertWhen_administrationIsCalledByOtherThanTheOwner(address caller) public {
        vm.assume(caller != owner);
        bytes4 unauthorized = IAlertRegistry.AlertRegistryUnauthorized.selector;
        address newVerifier = address(new MockHalo2Verifier());

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.registerModel(keccak256("model/new"), newVerifier, 1, 1, IAlertRegistry.CommitmentScheme.Poseidon);

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.setGateway(caller, true);

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.setStreamGateway(STREAM, caller);

        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        vm.prank(caller);
        registry.transferOwnership(caller);

        assertFalse(registry.isGateway(caller) && caller != gateway && caller != rival, "gateway added");
        assertEq(registry.streamGateway(STREAM), gateway, "stream rebound");
        assertEq(registry.owner(), owner, "owner");
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
        registry.registerModel(bytes32(0), newVerifier, 1, 1, IAlertRegistry.CommitmentScheme.Poseidon);
    }

    // ============================================================ stream binding

    function test_RevertWhen_firstAlertOnAStreamNobodyOpened() public {
        bytes32 unopened = keccak256("stream/unopened");
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, unopened));
        _submit(gateway, unopened, bytes32(0), 1);
        assertEq(registry.streamGateway(unopened), address(0), "still not open");
        assertEq(registry.count(unopened), 0, "count");
    }

    function test_RevertWhen_anotherGatewayExtendsABoundStream() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamGateway.selector, STREAM, gateway, rival)
        );
        _submit(rival, STREAM, head, 2);
        assertEq(registry.count(STREAM), 1, "count");
    }

    function test_setStreamGateway_handsAStreamToAReplacementGateway() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        vm.startPrank(owner);
        registry.setGateway(gateway, false); // the old box is retired
        registry.setStreamGateway(STREAM, rival);
        vm.stopPrank();

        bytes32 next = _submit(rival, STREAM, head, 2);
        assertEq(next, AlertChain.alertHash(head, STREAM, 1, MODEL, rival, 2, 7, false), "chain continues");
        assertEq(registry.count(STREAM), 2, "count");
    }

    function test_RevertWhen_submittingToAClosedStream() public {
        bytes32 head = _submit(gateway, STREAM, bytes32(0), 1);
        vm.prank(owner);
        registry.setStreamGateway(STREAM, address(0));
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, STREAM));
        _submit(rival, STREAM, head, 2);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, STREAM));
        _submit(gateway, STREAM, head, 2);
        assertEq(registry.count(STREAM), 1, "count");
    }

    // ============================================================ the verifier call

    function test_RevertWhen_verifierReentersTheRegistry() public {
        ReentrantVerifier reentrant = new ReentrantVerifier(registry);
        bytes32 modelId = keccak256("model/reentrant");
        vm.prank(owner);
        registry.registerModel(modelId, address(reentrant), 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon);

        // STATICCALL: the nested submitAlert cannot write, so the verifier says no
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, modelId));
        vm.prank(gateway);
        registry.submitAlert(STREAM, modelId, bytes32(0), PROOF, AlertChain.single(1, 7));
        assertEq(registry.count(keccak256("stream/reentered")), 0, "re-entered");
    }

    function test_RevertWhen_verifierAnswersOtherThanTrue() public {
        // (answer, words): 2 is not true, 1 in two words is not one bool, 0 words is nothing
        uint256[2][3] memory answers = [[uint256(2), 1], [uint256(1), 2], [uint256(1), 0]];
        for (uint256 i; i < answers.length; ++i) {
            address sloppy = address(new SloppyVerifier(answers[i][0], answers[i][1]));
            bytes32 modelId = keccak256(abi.encode("model/sloppy", i));
            vm.prank(owner);
            registry.registerModel(modelId, sloppy, 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon);

            vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, modelId));
            vm.prank(gateway);
            registry.submitAlert(STREAM, modelId, bytes32(0), PROOF, AlertChain.single(1, 7));
        }
    }
}
