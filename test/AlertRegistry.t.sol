// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {MockHalo2Verifier} from "./utils/MockHalo2Verifier.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {IOwned2Step} from "../contracts/interfaces/IOwned2Step.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

contract AlertRegistryTest is Test {
    bytes32 internal constant MODEL_1 = keccak256("model/one-window");
    bytes32 internal constant MODEL_3 = keccak256("model/three-windows");
    bytes32 internal constant STREAM_A = keccak256("stream/a");
    bytes32 internal constant STREAM_B = keccak256("stream/b");
    uint256 internal constant THRESHOLD = 1_000;
    uint256 internal constant R = BN254.FIELD_MODULUS;
    bytes internal constant PROOF = hex"c0ffee";

    AlertRegistry internal registry;
    MockHalo2Verifier internal verifier;
    /// @dev MODEL_3's verifier: one verifier code per model.
    MockHalo2Verifier internal verifier3;
    address internal owner;
    address internal gateway;
    address internal stranger;

    function setUp() public {
        owner = makeAddr("owner");
        gateway = makeAddr("gateway");
        stranger = makeAddr("stranger");

        registry = new AlertRegistry(owner);
        verifier = new MockHalo2Verifier();
        verifier3 = new MockHalo2Verifier();

        vm.startPrank(owner);
        registry.registerModel(
            MODEL_1, address(verifier), THRESHOLD, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        registry.registerModel(
            MODEL_3, address(verifier3), THRESHOLD, 3, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setStreamGateway(STREAM_A, gateway);
        registry.setStreamGateway(STREAM_B, gateway);
        vm.stopPrank();
    }

    // ============================================================ helpers

    /// @dev One window at the stream's next index, bound as the gateway must bind it. It reads
    /// nextIndex from the registry first, so after vm.expectRevert use _submitSingleAt.
    function _submitSingle(bytes32 streamId, bytes32 prevHash, uint256 commitment, uint256 score)
        internal
        returns (bytes32)
    {
        return _submitSingleAt(streamId, prevHash, registry.nextIndex(streamId), commitment, score);
    }

    function _submitSingleAt(bytes32 streamId, bytes32 prevHash, uint64 index, uint256 commitment, uint256 score)
        internal
        returns (bytes32)
    {
        uint256[] memory instances = AlertChain.single(commitment, score, gateway, streamId, index);
        vm.prank(gateway);
        return registry.submitAlert(streamId, MODEL_1, prevHash, index, PROOF, instances);
    }

    function _three(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory values) {
        values = new uint256[](3);
        values[0] = a;
        values[1] = b;
        values[2] = c;
    }

    function _assertNothingRecorded(bytes32 streamId) internal view {
        assertEq(registry.head(streamId), bytes32(0), "head moved");
        assertEq(registry.count(streamId), 0, "count moved");
        assertEq(registry.nextIndex(streamId), 0, "nextIndex moved");
    }

    function _assertStream(bytes32 streamId, bytes32 head, uint64 streamCount, uint64 next) internal view {
        assertEq(registry.head(streamId), head, "head");
        assertEq(registry.count(streamId), streamCount, "count");
        assertEq(registry.nextIndex(streamId), next, "nextIndex");
    }

    // ============================================================ constructor and ownership

    function test_constructor_setsOwner() public view {
        assertEq(registry.owner(), owner);
    }

    function test_constructor_emitsOwnershipTransferred() public {
        // The emitter is the contract being created, so only topics and data are checked.
        vm.expectEmit();
        emit IOwned2Step.OwnershipTransferred(address(0), owner);
        new AlertRegistry(owner);
    }

    function test_RevertWhen_constructorOwnerIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidOwner.selector, address(0)));
        new AlertRegistry(address(0));
    }

    /// @dev Two steps: the offer, then the new owner's acceptance (test/Owned2Step.t.sol tries
    /// the offer's every other path, for both registries).
    function test_transferOwnership_movesOwner() public {
        address newOwner = makeAddr("newOwner");
        vm.expectEmit(address(registry));
        emit IOwned2Step.OwnershipTransferStarted(owner, newOwner);
        vm.prank(owner);
        registry.transferOwnership(newOwner);
        assertEq(registry.owner(), owner, "owner until the offer is accepted");
        assertEq(registry.pendingOwner(), newOwner, "offer");

        vm.expectEmit(address(registry));
        emit IOwned2Step.OwnershipTransferred(owner, newOwner);
        vm.prank(newOwner);
        registry.acceptOwnership();
        assertEq(registry.owner(), newOwner);
        assertEq(registry.pendingOwner(), address(0), "offer used up");

        // the old owner lost its rights
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnauthorized.selector, owner));
        vm.prank(owner);
        registry.setGateway(owner, true);
    }

    function test_RevertWhen_transferOwnershipCallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnauthorized.selector, stranger));
        vm.prank(stranger);
        registry.transferOwnership(stranger);
    }

    function test_RevertWhen_transferOwnershipToZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidOwner.selector, address(0)));
        vm.prank(owner);
        registry.transferOwnership(address(0));
    }

    // ============================================================ registerModel

    function test_registerModel_storesModel() public {
        bytes32 modelId = keccak256("model/new");
        bytes32 srs = keccak256("srs/new");
        MockHalo2Verifier newVerifier = new MockHalo2Verifier();
        vm.roll(4242);
        vm.expectEmit(address(registry));
        emit IAlertRegistry.ModelRegistered(
            modelId, address(newVerifier), 77, 8, IAlertRegistry.CommitmentScheme.Poseidon, srs
        );
        vm.prank(owner);
        registry.registerModel(modelId, address(newVerifier), 77, 8, IAlertRegistry.CommitmentScheme.Poseidon, srs);

        IAlertRegistry.Model memory stored = registry.model(modelId);
        assertEq(stored.verifier, address(newVerifier));
        assertEq(stored.threshold, 77);
        assertEq(stored.windowsPerProof, 8);
        assertEq(stored.registeredAt, 4242);
        assertEq(stored.srs, srs, "SRS id not recorded");
    }

    /// @dev Each model keeps its own SRS id: two models on two SRSs, read back apart.
    function test_registerModel_recordsEachModelsSrs() public {
        bytes32 srsA = keccak256("srs/a");
        bytes32 srsB = keccak256("srs/b");
        MockHalo2Verifier verifierA = new MockHalo2Verifier();
        MockHalo2Verifier verifierB = new MockHalo2Verifier();
        vm.startPrank(owner);
        registry.registerModel(
            keccak256("model/a"), address(verifierA), 1, 1, IAlertRegistry.CommitmentScheme.Kzg, srsA
        );
        registry.registerModel(
            keccak256("model/b"), address(verifierB), 1, 1, IAlertRegistry.CommitmentScheme.Poseidon, srsB
        );
        vm.stopPrank();
        assertEq(registry.model(keccak256("model/a")).srs, srsA);
        assertEq(registry.model(keccak256("model/b")).srs, srsB);
        assertEq(registry.model(MODEL_1).srs, TEST_SRS_ID);
    }

    function test_RevertWhen_registerModelSrsIsZero() public {
        MockHalo2Verifier newVerifier = new MockHalo2Verifier();
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidSrs.selector, bytes32(0)));
        vm.prank(owner);
        registry.registerModel(
            keccak256("model/new"),
            address(newVerifier),
            THRESHOLD,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon,
            bytes32(0)
        );
        assertEq(registry.model(keccak256("model/new")).verifier, address(0), "registered without an SRS id");
    }

    function test_model_returnsZeroForUnknownModel() public view {
        IAlertRegistry.Model memory stored = registry.model(keccak256("model/unknown"));
        assertEq(stored.verifier, address(0));
        assertEq(stored.threshold, 0);
        assertEq(stored.windowsPerProof, 0);
        assertEq(stored.registeredAt, 0);
        assertEq(stored.srs, bytes32(0));
    }

    function test_RevertWhen_registerModelCallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnauthorized.selector, gateway));
        vm.prank(gateway);
        registry.registerModel(
            keccak256("model/new"),
            address(verifier),
            THRESHOLD,
            1,
            IAlertRegistry.CommitmentScheme.Poseidon,
            TEST_SRS_ID
        );
    }

    function test_RevertWhen_registerModelVerifierIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidVerifier.selector, address(0)));
        vm.prank(owner);
        registry.registerModel(
            keccak256("model/new"), address(0), THRESHOLD, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
    }

    function test_RevertWhen_registerModelVerifierHasNoCode() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidVerifier.selector, stranger));
        vm.prank(owner);
        registry.registerModel(
            keccak256("model/new"), stranger, THRESHOLD, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
    }

    function test_RevertWhen_registerModelWindowsPerProofIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidWindowsPerProof.selector, 0));
        vm.prank(owner);
        registry.registerModel(
            keccak256("model/new"),
            address(verifier),
            THRESHOLD,
            0,
            IAlertRegistry.CommitmentScheme.Poseidon,
            TEST_SRS_ID
        );
    }

    function test_RevertWhen_registerModelIdExists() public {
        MockHalo2Verifier otherVerifier = new MockHalo2Verifier();
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryModelExists.selector, MODEL_1));
        vm.prank(owner);
        registry.registerModel(
            MODEL_1, address(otherVerifier), THRESHOLD + 1, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        assertEq(registry.model(MODEL_1).verifier, address(verifier), "model was overwritten");
    }

    // ============================================================ setGateway

    function test_setGateway_allowsAndDisallows() public {
        address newGateway = makeAddr("newGateway");
        assertFalse(registry.isGateway(newGateway));

        vm.expectEmit(address(registry));
        emit IAlertRegistry.GatewaySet(newGateway, true);
        vm.prank(owner);
        registry.setGateway(newGateway, true);
        assertTrue(registry.isGateway(newGateway));

        vm.expectEmit(address(registry));
        emit IAlertRegistry.GatewaySet(newGateway, false);
        vm.prank(owner);
        registry.setGateway(newGateway, false);
        assertFalse(registry.isGateway(newGateway));
    }

    function test_RevertWhen_setGatewayCallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnauthorized.selector, stranger));
        vm.prank(stranger);
        registry.setGateway(stranger, true);
    }

    // ============================================================ submitAlert: success

    function test_submitAlert_recordsSingleWindow() public {
        bytes32 expected = AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, MODEL_1, gateway, 11, 1_500, true);

        bytes32 newHead = _submitSingle(STREAM_A, bytes32(0), 11, 1_500);

        assertEq(newHead, expected, "returned head");
        _assertStream(STREAM_A, expected, 1, 1);
        assertEq(registry.proofRecord(STREAM_A, 0), expected, "proofRecord");
        assertEq(registry.proofRecord(STREAM_A, 1), bytes32(0), "no proof from index 1");
    }

    function test_submitAlert_emitsAlertRecorded() public {
        bytes32 expected = AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, MODEL_1, gateway, 11, 999, false);
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(STREAM_A, 0, MODEL_1, 0, expected, bytes32(0), gateway, 11, 999, false);
        _submitSingle(STREAM_A, bytes32(0), 11, 999);
    }

    function test_submitAlert_forwardsProofAndInstances() public {
        uint256[] memory instances = AlertChain.single(11, 999, gateway, STREAM_A, 0);
        vm.expectCall(address(verifier), abi.encodeCall(IHalo2Verifier.verifyProof, (PROOF, instances)));
        _submitSingle(STREAM_A, bytes32(0), 11, 999);
    }

    function test_submitAlert_extendsChain() public {
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        bytes32 expected = AlertChain.alertHash(first, STREAM_A, 1, 1, MODEL_1, gateway, 12, 20, false);

        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(STREAM_A, 1, MODEL_1, 1, expected, first, gateway, 12, 20, false);
        bytes32 second = _submitSingle(STREAM_A, first, 12, 20);

        assertEq(second, expected);
        _assertStream(STREAM_A, expected, 2, 2);
        assertEq(registry.proofRecord(STREAM_A, 0), first);
        assertEq(registry.proofRecord(STREAM_A, 1), second);
    }

    function test_submitAlert_recordsThreeWindows() public {
        uint256[] memory commitments = _three(101, 102, 103);
        uint256[] memory scores = _three(THRESHOLD - 1, THRESHOLD, THRESHOLD * 5);
        bool[3] memory alarms = [false, true, true];

        bytes32[3] memory hashes;
        bytes32 prev = bytes32(0);
        for (uint64 i; i < 3; ++i) {
            hashes[i] =
                AlertChain.alertHash(prev, STREAM_A, i, i, MODEL_3, gateway, commitments[i], scores[i], alarms[i]);
            vm.expectEmit(address(registry));
            emit IAlertRegistry.AlertRecorded(
                STREAM_A, i, MODEL_3, i, hashes[i], prev, gateway, commitments[i], scores[i], alarms[i]
            );
            prev = hashes[i];
        }

        uint256[] memory instances = AlertChain.instances(commitments, scores, gateway, STREAM_A, 0);
        vm.prank(gateway);
        bytes32 newHead = registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, instances);

        assertEq(newHead, hashes[2], "returned head");
        _assertStream(STREAM_A, hashes[2], 3, 3);
        // one record for the proof: its last window's alert hash, under its first index
        assertEq(registry.proofRecord(STREAM_A, 0), hashes[2], "proofRecord");
        assertEq(registry.proofRecord(STREAM_A, 1), bytes32(0), "no record inside the proof");
        assertEq(registry.proofRecord(STREAM_A, 2), bytes32(0), "no record inside the proof");
    }

    function test_submitAlert_mixesModelsInOneStream() public {
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 1, 1);

        uint256[] memory instances = AlertChain.instances(_three(2, 3, 4), _three(5, 6, 7), gateway, STREAM_A, 1);
        vm.prank(gateway);
        bytes32 newHead = registry.submitAlert(STREAM_A, MODEL_3, first, 1, PROOF, instances);

        bytes32 expected = first;
        for (uint64 i; i < 3; ++i) {
            expected = AlertChain.alertHash(expected, STREAM_A, 1 + i, 1 + i, MODEL_3, gateway, 2 + i, 5 + i, false);
        }
        assertEq(newHead, expected);
        _assertStream(STREAM_A, expected, 4, 4);
    }

    function test_submitAlert_keepsStreamsIndependent() public {
        bytes32 headA = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        // A new stream starts from the genesis head and index 0 whatever other streams hold.
        bytes32 headB = _submitSingle(STREAM_B, bytes32(0), 12, 10);

        assertEq(headB, AlertChain.alertHash(bytes32(0), STREAM_B, 0, 0, MODEL_1, gateway, 12, 10, false));
        _assertStream(STREAM_A, headA, 1, 1);
        _assertStream(STREAM_B, headB, 1, 1);
    }

    function test_submitAlert_bindsSubmittingGateway() public {
        address otherGateway = makeAddr("otherGateway");
        vm.startPrank(owner);
        registry.setGateway(otherGateway, true);
        registry.setStreamGateway(STREAM_A, otherGateway);
        vm.stopPrank();

        // A proof bound to the first gateway is refused even in a stream the other gateway holds,
        uint256 copied = AlertChain.binding(gateway, STREAM_A, 0);
        uint256 own = AlertChain.binding(otherGateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, own, copied));
        vm.prank(otherGateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.single(11, 10, copied));
        _assertNothingRecorded(STREAM_A);

        // and a proof bound to the other gateway makes a record of its own, not the first gateway's.
        vm.prank(otherGateway);
        bytes32 newHead = registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.single(11, 10, own));

        assertEq(newHead, AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, MODEL_1, otherGateway, 11, 10, false));
        assertNotEq(newHead, AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, MODEL_1, gateway, 11, 10, false));
    }

    function test_submitAlert_acceptsLargestFieldElement() public {
        bytes32 newHead = _submitSingle(STREAM_A, bytes32(0), R - 1, R - 1);
        assertEq(newHead, AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, MODEL_1, gateway, R - 1, R - 1, true));
    }

    function test_submitAlert_setsAlarmAtThreshold() public {
        bytes32 below = _submitSingle(STREAM_A, bytes32(0), 1, THRESHOLD - 1);
        assertEq(below, AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, MODEL_1, gateway, 1, THRESHOLD - 1, false));
        bytes32 at = _submitSingle(STREAM_A, below, 2, THRESHOLD);
        assertEq(at, AlertChain.alertHash(below, STREAM_A, 1, 1, MODEL_1, gateway, 2, THRESHOLD, true));
    }

    // ============================================================ submitAlert: window indexes

    /// @dev Window i of a batch has index firstIndex + i; nextIndex moves past the batch's last
    /// window, and indexes the gateway skipped (windows it did not record) stay skipped.
    function test_submitAlert_numbersBatchWindowsFromFirstIndex() public {
        assertEq(registry.nextIndex(STREAM_A), 0, "fresh stream");
        bytes32 head = _submitSingle(STREAM_A, bytes32(0), 1, 1);
        _assertStream(STREAM_A, head, 1, 1);

        uint64 firstIndex = 4; // windows 1 to 3 were not recorded
        uint256[] memory instances =
            AlertChain.instances(_three(2, 3, 4), _three(5, 6, 7), gateway, STREAM_A, firstIndex);
        bytes32 expected = head;
        for (uint64 i; i < 3; ++i) {
            bytes32 next =
                AlertChain.alertHash(expected, STREAM_A, 1 + i, firstIndex + i, MODEL_3, gateway, 2 + i, 5 + i, false);
            vm.expectEmit(address(registry));
            emit IAlertRegistry.AlertRecorded(
                STREAM_A, 1 + i, MODEL_3, firstIndex + i, next, expected, gateway, 2 + i, 5 + i, false
            );
            expected = next;
        }
        vm.prank(gateway);
        assertEq(registry.submitAlert(STREAM_A, MODEL_3, head, firstIndex, PROOF, instances), expected, "head");
        _assertStream(STREAM_A, expected, 4, firstIndex + 3);
    }

    /// @dev A skip of exactly MAX_INDEX_GAP windows is accepted, and the skipped indexes show in
    /// the event and the alert hash.
    function test_submitAlert_acceptsTheLargestIndexGap() public {
        uint64 maxGap = registry.MAX_INDEX_GAP();
        assertEq(maxGap, 2 ** 32, "MAX_INDEX_GAP");
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 11, 10);

        uint64 index = 1 + maxGap;
        bytes32 expected = AlertChain.alertHash(first, STREAM_A, 1, index, MODEL_1, gateway, 12, 10, false);
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(STREAM_A, 1, MODEL_1, index, expected, first, gateway, 12, 10, false);
        assertEq(_submitSingleAt(STREAM_A, first, index, 12, 10), expected, "head");
        _assertStream(STREAM_A, expected, 2, index + 1);
    }

    function test_RevertWhen_submitAlertIndexNotIncreasing() public {
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        bytes32 second = _submitSingle(STREAM_A, first, 12, 10);

        // the last recorded index again, and one before it
        uint64[2] memory indexes = [uint64(1), 0];
        for (uint256 i; i < indexes.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM_A, uint64(2), indexes[i]
                )
            );
            _submitSingleAt(STREAM_A, second, indexes[i], 13, 10);
        }
        _assertStream(STREAM_A, second, 2, 2);
    }

    function test_RevertWhen_submitAlertIndexGapTooLarge() public {
        uint64 maxGap = registry.MAX_INDEX_GAP();
        uint64[2] memory indexes = [maxGap + 1, type(uint64).max];
        for (uint256 i; i < indexes.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAlertRegistry.AlertRegistryIndexGap.selector, STREAM_A, uint64(0), indexes[i], maxGap
                )
            );
            _submitSingleAt(STREAM_A, bytes32(0), indexes[i], 11, 10);
        }
        _assertNothingRecorded(STREAM_A);
    }

    // ============================================================ submitAlert: bindings

    /// @dev Each window is checked against its own index: a batch whose last window is bound to
    /// one index further is refused, naming that window.
    function test_RevertWhen_submitAlertBatchWindowBoundToAnotherIndex() public {
        uint256[] memory bindingValues = AlertChain.bindings(gateway, STREAM_A, 0, 3);
        bindingValues[2] = AlertChain.binding(gateway, STREAM_A, 3);
        uint256[] memory instances = AlertChain.instances(_three(1, 2, 3), _three(4, 5, 6), bindingValues);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                2,
                AlertChain.binding(gateway, STREAM_A, 2),
                bindingValues[2]
            )
        );
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, instances);
        _assertNothingRecorded(STREAM_A);
    }

    /// @dev The order of the checks after the stream: head, index, gap, binding. Each submission
    /// below is wrong in one thing fewer than the one before it.
    function test_RevertWhen_submitAlertChecksHeadThenIndexThenBinding() public {
        bytes32 head = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        bytes32 stale = keccak256("stale head");
        uint256 wrongBinding = AlertChain.binding(gateway, STREAM_B, 1);
        uint256 rightBinding = AlertChain.binding(gateway, STREAM_A, 1);
        uint256[] memory wrong = AlertChain.single(11, 10, wrongBinding);
        uint64 maxGap = registry.MAX_INDEX_GAP();
        uint64 tooFar = 2 + maxGap;

        vm.startPrank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, head, stale));
        registry.submitAlert(STREAM_A, MODEL_1, stale, 0, PROOF, wrong);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM_A, 1, 0));
        registry.submitAlert(STREAM_A, MODEL_1, head, 0, PROOF, wrong);
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexGap.selector, STREAM_A, 1, tooFar, maxGap)
        );
        registry.submitAlert(STREAM_A, MODEL_1, head, tooFar, PROOF, wrong);
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, rightBinding, wrongBinding)
        );
        registry.submitAlert(STREAM_A, MODEL_1, head, 1, PROOF, wrong);
        vm.stopPrank();
        _assertStream(STREAM_A, head, 1, 1);
    }

    // ============================================================ submitAlert: binding limbs

    /// @dev `values` with the limbs at `start` reversed (high limb first).
    function _reversedLimbs(uint256[] memory values, uint256 start) internal pure returns (uint256[] memory out) {
        out = _copy(values);
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            out[start + k] = values[start + AlertChain.BINDING_LIMBS - 1 - k];
        }
    }

    function _copy(uint256[] memory values) internal pure returns (uint256[] memory out) {
        out = new uint256[](values.length);
        for (uint256 i; i < values.length; ++i) {
            out[i] = values[i];
        }
    }

    function _expectBindingMismatch(uint256 window, uint256 expected, uint256 got) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, window, expected, got)
        );
    }

    /// @dev The check is limb by limb: limbs that recompose to the binding, but with one out of its
    /// 28-bit range, are refused with the binding as both expected and got (a carry moved between
    /// neighbours, all of the binding in limb 0 as a single instance would hold it, the top limb
    /// folded into the one below), and so is a limb written as a negative field element (r - 2^28 +
    /// l_0, its neighbour one larger), which is the binding in the field and binding + r in the
    /// integers. The stream does not move; the canonical limbs are accepted after.
    /// @notice Limbs that are field elements but far too large for a limb: their recomposition
    /// overflows 2^256. The registry still names the mismatch (the reported sum wraps) instead of
    /// reverting with an arithmetic panic.
    function test_RevertWhen_bindingLimbsOverflowTheRecomposition() public {
        uint256 binding = AlertChain.binding(gateway, STREAM_A, 0);
        uint256[] memory huge = new uint256[](AlertChain.BINDING_LIMBS);
        uint256 got;
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            huge[k] = R - 1;
            unchecked {
                got += (R - 1) << (28 * k);
            }
        }
        _expectBindingMismatch(0, binding, got);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.singleWithLimbs(11, 10, huge));
        _assertNothingRecorded(STREAM_A);
    }

    function test_RevertWhen_bindingLimbsAreOutOfRangeButRecomposeToTheBinding() public {
        uint256 binding = AlertChain.binding(gateway, STREAM_A, 0);
        uint256[] memory limbs = AlertChain.limbs(binding);
        uint256 unit = AlertChain.LIMB_BOUND;

        for (uint256 k; k + 1 < AlertChain.BINDING_LIMBS; ++k) {
            assertTrue(limbs[k + 1] != 0, "no carry to move");
            uint256[] memory carried = _copy(limbs);
            carried[k] += unit;
            carried[k + 1] -= 1;
            assertEq(AlertChain.recompose(carried, 0), binding, "carried limbs recompose to the binding");
            _expectBindingMismatch(0, binding, binding);
            vm.prank(gateway);
            registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.singleWithLimbs(11, 10, carried));
        }

        uint256[] memory oneInstance = new uint256[](AlertChain.BINDING_LIMBS);
        oneInstance[0] = binding;
        _expectBindingMismatch(0, binding, binding);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.singleWithLimbs(11, 10, oneInstance));

        uint256[] memory folded = _copy(limbs);
        folded[3] += limbs[4] * unit;
        folded[4] = 0;
        assertEq(AlertChain.recompose(folded, 0), binding, "folded limbs recompose to the binding");
        _expectBindingMismatch(0, binding, binding);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.singleWithLimbs(11, 10, folded));

        uint256[] memory negative = _copy(limbs);
        negative[0] = R - unit + limbs[0];
        negative[1] += 1;
        assertEq(AlertChain.recompose(negative, 0) % R, binding, "the binding in the field");
        _expectBindingMismatch(0, binding, binding + R);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, AlertChain.singleWithLimbs(11, 10, negative));

        _assertNothingRecorded(STREAM_A);
        _submitSingleAt(STREAM_A, bytes32(0), 0, 11, 10);
        assertEq(registry.count(STREAM_A), 1, "canonical limbs");
    }

    /// @dev Any carry between two neighbouring limbs of any window index is refused.
    function testFuzz_RevertWhen_bindingLimbsCarry(uint64 index, uint256 position, uint256 carry) public {
        index = uint64(bound(index, 0, registry.MAX_INDEX_GAP()));
        position = bound(position, 0, AlertChain.BINDING_LIMBS - 2);
        uint256 binding = AlertChain.binding(gateway, STREAM_A, index);
        uint256[] memory limbs = AlertChain.limbs(binding);
        vm.assume(limbs[position + 1] != 0);
        carry = bound(carry, 1, limbs[position + 1]);
        limbs[position] += carry * AlertChain.LIMB_BOUND;
        limbs[position + 1] -= carry;

        _expectBindingMismatch(0, binding, binding);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), index, PROOF, AlertChain.singleWithLimbs(11, 10, limbs));
        _assertNothingRecorded(STREAM_A);
    }

    /// @dev One limb of one window of a three-window batch altered to any other field element: that
    /// window is named, with its binding and the limbs as recomposed. (The value is kept where the
    /// recomposition stays below 2^255.)
    function testFuzz_RevertWhen_oneBindingLimbIsAltered(
        uint64 firstIndex,
        uint256 window,
        uint256 position,
        uint256 value
    ) public {
        firstIndex = uint64(bound(firstIndex, 0, registry.MAX_INDEX_GAP()));
        window = bound(window, 0, 2);
        position = bound(position, 0, AlertChain.BINDING_LIMBS - 1);
        uint256 largest = 2 ** (255 - AlertChain.BINDING_LIMB_BITS * position) - 1;
        value = bound(value, 0, largest < R - 1 ? largest : R - 1);
        uint256[] memory instances =
            AlertChain.instances(_three(1, 2, 3), _three(4, 5, 6), gateway, STREAM_A, firstIndex);
        uint256 slot = AlertChain.limbSlot(3, window, position);
        vm.assume(value != instances[slot]);
        instances[slot] = value;

        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 expected = AlertChain.binding(gateway, STREAM_A, firstIndex + uint64(window));
        uint256 got = AlertChain.recompose(instances, AlertChain.limbSlot(3, window, 0));
        assertTrue(got != expected, "altered limbs recompose to the binding");
        _expectBindingMismatch(window, expected, got);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), firstIndex, PROOF, instances);
        _assertNothingRecorded(STREAM_A);
    }

    /// @dev The limbs in the wrong order: high limb first (one window, and every window of a
    /// batch), or a batch's limbs grouped by limb rather than by window. The first window is named,
    /// with the limbs as the registry reads them (low limb first) recomposed.
    function test_RevertWhen_bindingLimbsAreHighLimbFirst() public {
        uint256 binding = AlertChain.binding(gateway, STREAM_A, 0);
        uint256[] memory reversed = _reversedLimbs(AlertChain.single(11, 10, binding), 2);
        uint256 got = AlertChain.recompose(reversed, 2);
        assertTrue(got != binding, "palindromic limbs");
        _expectBindingMismatch(0, binding, got);
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, reversed);

        uint256[] memory batch = AlertChain.instances(_three(1, 2, 3), _three(4, 5, 6), gateway, STREAM_A, 0);
        uint256[] memory batchReversed = batch;
        for (uint256 i; i < 3; ++i) {
            batchReversed = _reversedLimbs(batchReversed, AlertChain.limbSlot(3, i, 0));
        }
        _expectBindingMismatch(0, binding, AlertChain.recompose(batchReversed, 6));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, batchReversed);

        // [l_0(b_1), l_0(b_2), l_0(b_3), l_1(b_1), ...]
        uint256[] memory byLimb = _copy(batch);
        for (uint256 i; i < 3; ++i) {
            for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
                byLimb[6 + 3 * k + i] = batch[AlertChain.limbSlot(3, i, k)];
            }
        }
        _expectBindingMismatch(0, binding, AlertChain.recompose(byLimb, 6));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, byLimb);

        _assertNothingRecorded(STREAM_A);
    }

    function test_bindingOf_matchesGoldenVector() public view {
        // cast keccak $(cast abi-encode "f(address,bytes32,uint64)" 0x44..44 0x22..22 9) is
        // 0x4fcd5025ff4ee91b3be776f14a95be6d3d1f73bf8f4f01b7672108abd9e9df86: the binding is its
        // low 140 bits (35 hex digits), the limbs are those bits 28 (7 hex digits) at a time
        bytes32 streamId = 0x2222222222222222222222222222222222222222222222222222222222222222;
        address gatewayAddr = 0x4444444444444444444444444444444444444444;
        uint256 expected = 0xe6d3d1f73bf8f4f01b7672108abd9e9df86;
        assertEq(registry.bindingOf(gatewayAddr, streamId, 9), expected, "bindingOf");
        assertEq(AlertChain.binding(gatewayAddr, streamId, 9), expected, "AlertChain.binding");
        uint256[5] memory expectedLimbs = [uint256(0x9e9df86), 0x2108abd, 0xf01b767, 0x73bf8f4, 0xe6d3d1f];
        uint256[] memory limbs = AlertChain.limbs(expected);
        for (uint256 k; k < expectedLimbs.length; ++k) {
            assertEq(limbs[k], expectedLimbs[k], "limb");
        }
        // and the registry accepts exactly these limbs for that window
        uint256[] memory instances = AlertChain.singleWithLimbs(11, 10, limbs);
        for (uint256 k; k < expectedLimbs.length; ++k) {
            assertEq(instances[2 + k], expectedLimbs[k], "instance");
        }
    }

    function test_bindingLimbs_areFiveOf28Bits() public view {
        assertEq(registry.BINDING_LIMBS(), 5, "BINDING_LIMBS");
        assertEq(registry.BINDING_LIMB_BITS(), 28, "BINDING_LIMB_BITS");
        assertEq(AlertChain.BINDING_LIMBS, registry.BINDING_LIMBS(), "AlertChain.BINDING_LIMBS");
        assertEq(AlertChain.LIMB_BOUND, 2 ** registry.BINDING_LIMB_BITS(), "AlertChain.LIMB_BOUND");
        assertEq(AlertChain.BINDING_BOUND, 2 ** (5 * 28), "AlertChain.BINDING_BOUND");
    }

    // ============================================================ submitAlert: reverts

    function test_RevertWhen_submitAlertCallerNotGateway() public {
        uint256[] memory instances = AlertChain.single(11, 10, stranger, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownGateway.selector, stranger));
        vm.prank(stranger);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertGatewayWasDisallowed() public {
        vm.prank(owner);
        registry.setGateway(gateway, false);

        uint256[] memory instances = AlertChain.single(11, 10, gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownGateway.selector, gateway));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertModelUnknown() public {
        bytes32 unknown = keccak256("model/unknown");
        uint256[] memory instances = AlertChain.single(11, 10, gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownModel.selector, unknown));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, unknown, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertInstanceCountTooSmall() public {
        // `[c, s]`: a proof without a binding; `[c, s, b]`: the binding as one instance rather than
        // five limbs; `[c, s, l_0, ..., l_3]`: a limb short
        uint256[] memory bound = AlertChain.single(11, 10, gateway, STREAM_A, 0);
        uint256[3] memory counts = [uint256(2), 3, 6];
        for (uint256 i; i < counts.length; ++i) {
            uint256[] memory instances = new uint256[](counts[i]);
            for (uint256 j; j < counts[i]; ++j) {
                instances[j] = bound[j];
            }
            if (counts[i] == 3) instances[2] = AlertChain.binding(gateway, STREAM_A, 0);
            vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 7, counts[i]));
            vm.prank(gateway);
            registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
        }
        _assertNothingRecorded(STREAM_A);
    }

    function test_RevertWhen_submitAlertInstanceCountTooLarge() public {
        uint256[] memory instances = new uint256[](8);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 7, 8));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertInstanceCountMissesBatchSize() public {
        // a single-window proof sent to a three-window model
        uint256[] memory instances = AlertChain.single(11, 10, gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceCount.selector, 21, 7));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertCommitmentEqualsModulus() public {
        uint256[] memory instances = AlertChain.single(R, 10, gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 0, R));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertScoreAboveModulus() public {
        // x + r is the same field element as x: without the check it would dodge replay detection
        uint256[] memory instances = AlertChain.single(11, R + 10, gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 1, R + 10));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
    }

    function test_RevertWhen_submitAlertBindingLimbAboveModulus() public {
        // l + r is the field element the verifier would check as the limb l, but not the limb the
        // registry computes: refused as out of field before the binding is compared, whichever limb
        uint256[] memory bound = AlertChain.single(11, 10, gateway, STREAM_A, 0);
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            uint256[] memory instances = AlertChain.single(11, 10, gateway, STREAM_A, 0);
            uint256 shifted = bound[2 + k] + R;
            instances[2 + k] = shifted;
            vm.expectRevert(
                abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, 2 + k, shifted)
            );
            vm.prank(gateway);
            registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);
        }
        _assertNothingRecorded(STREAM_A);
    }

    function test_RevertWhen_submitAlertPrevHashStale() public {
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 11, 10);

        // a gateway that has not seen the first alert still extends genesis
        uint256[] memory instances = AlertChain.single(12, 10, gateway, STREAM_A, 1);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, first, bytes32(0)));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 1, PROOF, instances);
    }

    function test_RevertWhen_submitAlertPrevHashForked() public {
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        bytes32 second = _submitSingle(STREAM_A, first, 12, 10);

        // extending an older alert would fork the chain
        uint256[] memory instances = AlertChain.single(13, 10, gateway, STREAM_A, 2);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, second, first));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, first, 2, PROOF, instances);

        // and a made-up head on a fresh stream is refused too
        bytes32 madeUp = keccak256("made up");
        instances = AlertChain.single(13, 10, gateway, STREAM_B, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, bytes32(0), madeUp));
        vm.prank(gateway);
        registry.submitAlert(STREAM_B, MODEL_1, madeUp, 0, PROOF, instances);
    }

    /// @dev A recorded window's statement, sent again with other proof bytes (as a re-randomised
    /// proof would be): at its own index the stream has passed it, at the next its binding is the
    /// wrong one. (With a real circuit the commitment covers the binding, so the statement cannot
    /// come under another binding at all; the fixture and attack tests check that on real proofs.)
    function test_RevertWhen_submitAlertRecordedWindowSentAgain() public {
        bytes32 first = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        uint256[] memory instances = AlertChain.single(11, 10, gateway, STREAM_A, 0);

        vm.startPrank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, STREAM_A, 1, 0));
        registry.submitAlert(STREAM_A, MODEL_1, first, 0, hex"deadbeef", instances);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                0,
                AlertChain.binding(gateway, STREAM_A, 1),
                AlertChain.binding(gateway, STREAM_A, 0)
            )
        );
        registry.submitAlert(STREAM_A, MODEL_1, first, 1, hex"deadbeef", instances);
        vm.stopPrank();

        _assertStream(STREAM_A, first, 1, 1);
        assertEq(registry.proofRecord(STREAM_A, 1), bytes32(0), "nothing recorded from index 1");
    }

    function test_RevertWhen_submitAlertVerifierReturnsFalse() public {
        verifier.setMode(MockHalo2Verifier.Mode.Reject);
        uint256[] memory instances = AlertChain.single(11, 10, gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, MODEL_1));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), 0, PROOF, instances);

        _assertNothingRecorded(STREAM_A);
        assertEq(registry.proofRecord(STREAM_A, 0), bytes32(0), "no proof record");
    }

    function test_RevertWhen_submitAlertVerifierReverts() public {
        verifier3.setMode(MockHalo2Verifier.Mode.Revert);
        uint256[] memory instances = AlertChain.instances(_three(1, 2, 3), _three(4, 5, 6), gateway, STREAM_A, 0);
        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, MODEL_3));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, instances);

        _assertNothingRecorded(STREAM_A);
    }

    // ============================================================ views

    function test_proofRecord_isZeroWhereNoProofStarts() public {
        assertEq(registry.proofRecord(STREAM_A, 0), bytes32(0), "empty stream");
        bytes32 head = _submitSingle(STREAM_A, bytes32(0), 11, 10);
        assertEq(registry.proofRecord(STREAM_A, 0), head, "the recorded proof");
        assertEq(registry.proofRecord(STREAM_B, 0), bytes32(0), "another stream");
        assertEq(registry.proofRecord(STREAM_A, type(uint64).max), bytes32(0), "far index");
    }

    function test_version_returnsSemver() public view {
        assertEq(registry.version(), "0.9.0");
    }

    /// @dev Golden vectors shared with the Python side; computed independently with
    /// `cast keccak $(cast abi-encode "f(bytes32,bytes32,uint64,uint64,bytes32,address,uint256,uint256,bool)" ...)`.
    function test_alertHash_matchesGoldenVector() public view {
        bytes32 prevHead = 0x1111111111111111111111111111111111111111111111111111111111111111;
        bytes32 streamId = 0x2222222222222222222222222222222222222222222222222222222222222222;
        bytes32 modelId = 0x3333333333333333333333333333333333333333333333333333333333333333;
        address gatewayAddr = 0x4444444444444444444444444444444444444444;
        assertEq(
            AlertChain.alertHash(prevHead, streamId, 7, 9, modelId, gatewayAddr, 12345678901234567890, 4242, true),
            0x617747470e6cf396ab6b30dc7fdcae391c8f16fe27c39de0f6bb6bc9a03d1391
        );
        assertEq(
            AlertChain.statement(modelId, 12345678901234567890, 4242),
            0x81227a1644ded7a10320ed8572169eb74be37234302f25b4c591a2eb0c5008a8
        );
    }

    // ============================================================ fuzz

    function testFuzz_submitAlert_outOfField(uint256 value, uint256 index) public {
        value = bound(value, R, type(uint256).max);
        index = bound(index, 0, 20); // commitments, scores and every limb of the three windows
        uint256[] memory instances = AlertChain.instances(_three(1, 2, 3), _three(4, 5, 6), gateway, STREAM_A, 0);
        instances[index] = value;

        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, index, value));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_3, bytes32(0), 0, PROOF, instances);
    }

    function testFuzz_submitAlert_alarmBit(uint256 threshold, uint256 score, uint256 commitment) public {
        threshold = bound(threshold, 0, R - 1); // every threshold a score can reach
        score = bound(score, 0, R - 1);
        commitment = bound(commitment, 0, R - 1);
        bytes32 modelId = keccak256(abi.encode("model/fuzz", threshold));
        address modelVerifier = address(new MockHalo2Verifier());
        vm.prank(owner);
        registry.registerModel(
            modelId, modelVerifier, threshold, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );

        bool alarm = score >= threshold;
        bytes32 expected = AlertChain.alertHash(bytes32(0), STREAM_A, 0, 0, modelId, gateway, commitment, score, alarm);
        vm.expectEmit(address(registry));
        emit IAlertRegistry.AlertRecorded(
            STREAM_A, 0, modelId, 0, expected, bytes32(0), gateway, commitment, score, alarm
        );

        uint256[] memory instances = AlertChain.single(commitment, score, gateway, STREAM_A, 0);
        vm.prank(gateway);
        bytes32 newHead = registry.submitAlert(STREAM_A, modelId, bytes32(0), 0, PROOF, instances);
        assertEq(newHead, expected);
    }

    function testFuzz_submitAlert_chainsBatch(uint256 seed, uint256 prefix, uint64 gap) public {
        // a stream that already holds 0-3 alerts, then one three-window batch after any allowed skip
        prefix = bound(prefix, 0, 3);
        gap = uint64(bound(gap, 0, registry.MAX_INDEX_GAP()));
        bytes32 expected;
        uint64 seq;
        for (; seq < prefix; ++seq) {
            expected = _submitSingle(STREAM_A, expected, seq, seq);
        }

        uint256[] memory commitments = new uint256[](3);
        uint256[] memory scores = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            commitments[i] = uint256(keccak256(abi.encode(seed, "c", i))) % R;
            scores[i] = uint256(keccak256(abi.encode(seed, "s", i))) % (2 * THRESHOLD);
        }
        uint64 firstIndex = seq + gap;
        uint256[] memory instances = AlertChain.instances(commitments, scores, gateway, STREAM_A, firstIndex);
        vm.prank(gateway);
        bytes32 newHead = registry.submitAlert(STREAM_A, MODEL_3, expected, firstIndex, PROOF, instances);

        for (uint64 i; i < 3; ++i) {
            expected = AlertChain.alertHash(
                expected,
                STREAM_A,
                seq++,
                firstIndex + i,
                MODEL_3,
                gateway,
                commitments[i],
                scores[i],
                scores[i] >= THRESHOLD
            );
        }
        _assertStream(STREAM_A, expected, uint64(prefix) + 3, firstIndex + 3);
        assertEq(newHead, expected, "head");
    }

    /// @dev Whatever binding a window carries, only bindingOf(caller, stream, index) passes: one
    /// made for another gateway, another stream or another index, or any other 140-bit value (in
    /// range limbs), is refused with both values named.
    function testFuzz_RevertWhen_bindingIsNotTheCallersStreamAndIndex(
        address otherGateway,
        bytes32 otherStream,
        uint64 otherIndex,
        uint64 index,
        uint256 anyValue,
        uint8 kind
    ) public {
        index = uint64(bound(index, 0, registry.MAX_INDEX_GAP()));
        uint256 expected = registry.bindingOf(gateway, STREAM_A, index);
        uint256 got;
        kind %= 4;
        if (kind == 0) {
            vm.assume(otherGateway != gateway);
            got = AlertChain.binding(otherGateway, STREAM_A, index);
        } else if (kind == 1) {
            vm.assume(otherStream != STREAM_A);
            got = AlertChain.binding(gateway, otherStream, index);
        } else if (kind == 2) {
            vm.assume(otherIndex != index);
            got = AlertChain.binding(gateway, STREAM_A, otherIndex);
        } else {
            got = bound(anyValue, 0, AlertChain.BINDING_BOUND - 1);
            vm.assume(got != expected);
        }

        vm.expectRevert(abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, expected, got));
        vm.prank(gateway);
        registry.submitAlert(STREAM_A, MODEL_1, bytes32(0), index, PROOF, AlertChain.single(11, 10, got));
        _assertNothingRecorded(STREAM_A);
    }

    function testFuzz_bindingOf_matchesSpecification(address gatewayAddr, bytes32 streamId, uint64 windowIndex)
        public
        view
    {
        uint256 binding = registry.bindingOf(gatewayAddr, streamId, windowIndex);
        uint256 hash = uint256(keccak256(abi.encode(gatewayAddr, streamId, windowIndex)));
        assertEq(binding, hash & (2 ** 140 - 1), "masked keccak");
        assertEq(binding, AlertChain.binding(gatewayAddr, streamId, windowIndex), "specification");
        assertLt(binding, 2 ** 140, "below 2^140");
        // five limbs of 28 bits, low limb first, that recompose to it
        uint256[] memory limbs = AlertChain.limbs(binding);
        for (uint256 k; k < limbs.length; ++k) {
            assertLt(limbs[k], 2 ** 28, "limb below 2^28");
            assertEq(limbs[k], (hash >> (28 * k)) % 2 ** 28, "limb k is bits 28k to 28k + 27 of the keccak");
        }
        assertEq(AlertChain.recompose(limbs, 0), binding, "recomposed");
    }
}
