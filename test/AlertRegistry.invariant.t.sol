// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {AlertChain} from "./utils/AlertChain.sol";
import {MockHalo2Verifier} from "./utils/MockHalo2Verifier.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev Drives the registry with valid and invalid submissions across three streams and two
/// models, and keeps its own copy of every chain (ghost_ state) folded off-chain: heads, counts,
/// alert hashes with their window indexes, and the index each stream takes next.
contract AlertRegistryHandler is Test {
    /// @dev A recorded window and the binding its proof was made for.
    struct Window {
        bytes32 modelId;
        uint256 inputCommitment;
        uint256 score;
        address sender;
        bytes32 streamId;
        uint64 windowIndex;
    }

    /// @dev One submission as the handler sends it.
    struct Submission {
        address sender;
        bytes32 streamId;
        bytes32 modelId;
        bytes32 prevHash;
        uint64 firstIndex;
        uint256[] commitments;
        uint256[] scores;
        /// @dev Five binding limbs per window, low limb first.
        uint256[] bindingLimbs;
    }

    uint256 internal constant R = BN254.FIELD_MODULUS;
    uint256 internal constant THRESHOLD = 1_000;
    uint64 internal constant MAX_INDEX_GAP = 2 ** 32;
    bytes32 public constant MODEL_1 = keccak256("model/one-window");
    bytes32 public constant MODEL_3 = keccak256("model/three-windows");

    AlertRegistry public immutable registry;
    MockHalo2Verifier public immutable verifier;
    address[2] internal _gateways;
    address internal _owner;
    address internal _stranger;
    bytes32[3] internal _streams;

    mapping(bytes32 streamId => bytes32 head) public ghost_head;
    mapping(bytes32 streamId => uint64 count) public ghost_count;
    mapping(bytes32 streamId => uint64 nextIndex) public ghost_nextIndex;
    mapping(bytes32 streamId => mapping(uint64 seq => uint64 windowIndex)) public ghost_windowIndex;
    mapping(bytes32 statement => bool recorded) public ghost_recorded;
    /// @dev Each accepted proof's last alert hash under its first index, and those first indexes.
    mapping(bytes32 streamId => mapping(uint64 firstIndex => bytes32 lastAlertHash)) public ghost_proofRecord;
    mapping(bytes32 streamId => uint64[] firstIndexes) internal _proofFirstIndexes;
    /// @dev The gateway each stream is bound to: the owner's choice (zero: not open).
    mapping(bytes32 streamId => address gateway) public ghost_streamGateway;
    bytes32[] public ghost_statements;
    Window[] internal _recordedWindows;
    /// @dev Submissions whose outcome (accepted or refused, and why) differed from the model.
    uint256 public ghost_unexpectedOutcomes;
    /// @dev Statements the registry accepted although they were already recorded.
    uint256 public ghost_duplicateStatements;
    uint256 public ghost_accepted;
    uint256 public ghost_refused;
    /// @dev Refusals for a binding, an index that does not increase and a skip too large.
    uint256 public ghost_bindingRefusals;
    uint256 public ghost_indexRefusals;

    constructor(AlertRegistry registry_, MockHalo2Verifier verifier_, address owner_, address[2] memory gateways_) {
        registry = registry_;
        verifier = verifier_;
        _owner = owner_;
        _gateways = gateways_;
        _stranger = makeAddr("stranger");
        _streams = [keccak256("stream/0"), keccak256("stream/1"), keccak256("stream/2")];
    }

    // ============================================================ actions

    /// @dev A well-formed submission at the stream's next index or after a skip (now and then the
    /// largest allowed). As in the real circuit, each window's commitment covers its binding; the
    /// window data come from a small seed space, so identical readings recur at other indexes and
    /// must be recorded there as statements of their own.
    function submitValid(
        uint256 streamSeed,
        bool threeWindows,
        uint256 gatewaySeed,
        uint8 commitmentSeed,
        uint256 scoreSeed
    ) external {
        bytes32 streamId = _stream(streamSeed);
        uint256 windows = threeWindows ? 3 : 1;
        Submission memory submission = _submission(
            _gatewayFor(streamId, gatewaySeed), streamId, threeWindows ? MODEL_3 : MODEL_1, _skip(gatewaySeed), windows
        );
        _bind(submission);
        for (uint256 i; i < windows; ++i) {
            submission.commitments[i] = _commitment(commitmentSeed % 64, submission, i);
            submission.scores[i] = bound(scoreSeed, 0, 2 * THRESHOLD) + i;
        }
        _submit(submission, "");
    }

    /// @dev The owner opens the streams, two for gateway 0 and one for gateway 1.
    function openStreams() external {
        for (uint256 i; i < _streams.length; ++i) {
            address gateway = _gateways[i % 2];
            vm.prank(_owner);
            registry.setStreamGateway(_streams[i], gateway);
            ghost_streamGateway[_streams[i]] = gateway;
        }
    }

    /// @dev The owner hands a stream to a gateway, or closes it (nobody can write until reopened).
    function rebindStream(uint256 streamSeed, uint256 gatewaySeed) external {
        bytes32 streamId = _stream(streamSeed);
        address gateway = gatewaySeed % 3 == 2 ? address(0) : _gateways[gatewaySeed % 3];
        vm.prank(_owner);
        registry.setStreamGateway(streamId, gateway);
        ghost_streamGateway[streamId] = gateway;
    }

    /// @dev Resubmits a recorded window with fresh proof bytes, as its gateway: the proof carries the
    /// binding it was made for, so at its own index the stream has passed it, and at the next index
    /// or in another stream the binding is not the one required.
    function submitReplay(uint256 windowSeed, uint256 streamSeed, uint256 freshSeed) external {
        if (_recordedWindows.length == 0) return;
        Window memory window = _recordedWindows[windowSeed % _recordedWindows.length];
        bytes32 streamId = freshSeed % 3 == 0 ? window.streamId : _stream(streamSeed);
        uint256 windows = window.modelId == MODEL_3 ? 3 : 1;
        Submission memory submission = _submission(window.sender, streamId, window.modelId, 0, windows);
        if (freshSeed % 3 == 0) submission.firstIndex = window.windowIndex;
        _bind(submission);
        for (uint256 i = 1; i < windows; ++i) {
            // fresh companions, so the recorded window is the one that is refused
            submission.commitments[i] = _commitment(uint256(keccak256(abi.encode("fresh", freshSeed))), submission, i);
            submission.scores[i] = i;
        }
        submission.commitments[0] = window.inputCommitment;
        submission.scores[0] = window.score;
        uint256 own = AlertChain.binding(window.sender, window.streamId, window.windowIndex);
        uint256[] memory ownLimbs = AlertChain.limbs(own);
        for (uint256 k; k < AlertChain.BINDING_LIMBS; ++k) {
            submission.bindingLimbs[k] = ownLimbs[k];
        }
        uint64 next = ghost_nextIndex[streamId];
        bytes memory expectedError = submission.firstIndex < next
            ? abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, streamId, next, submission.firstIndex
            )
            : abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryBindingMismatch.selector,
                0,
                AlertChain.binding(window.sender, streamId, submission.firstIndex),
                own
            );
        _submit(submission, expectedError);
    }

    /// @dev Extends something other than the stream's head.
    function submitStale(uint256 streamSeed, bytes32 wrongPrevHash, uint256 freshSeed) external {
        bytes32 streamId = _stream(streamSeed);
        bytes32 currentHead = ghost_head[streamId];
        if (wrongPrevHash == currentHead) wrongPrevHash = keccak256(abi.encode(wrongPrevHash));
        Submission memory submission = _freshSingle(_gatewayFor(streamId, freshSeed), streamId, freshSeed);
        submission.prevHash = wrongPrevHash;
        _submit(
            submission,
            abi.encodeWithSelector(IAlertRegistry.AlertRegistryStalePrevHash.selector, currentHead, wrongPrevHash)
        );
    }

    /// @dev Puts a value >= r in one instance slot: commitment, score or one of the binding limbs.
    function submitOutOfField(uint256 streamSeed, uint256 value, uint8 slot, uint256 freshSeed) external {
        value = bound(value, R, type(uint256).max);
        slot %= 2 + uint8(AlertChain.BINDING_LIMBS);
        bytes32 streamId = _stream(streamSeed);
        Submission memory submission = _freshSingle(_gateways[1], streamId, freshSeed);
        if (slot == 0) submission.commitments[0] = value;
        else if (slot == 1) submission.scores[0] = value;
        else submission.bindingLimbs[slot - 2] = value;
        _submit(
            submission, abi.encodeWithSelector(IAlertRegistry.AlertRegistryInstanceOutOfField.selector, slot, value)
        );
    }

    /// @dev A proof the verifier rejects, by returning false or by reverting.
    function submitInvalidProof(uint256 streamSeed, bool reverts, uint256 freshSeed) external {
        bytes32 streamId = _stream(streamSeed);
        Submission memory submission = _freshSingle(_gatewayFor(streamId, freshSeed), streamId, freshSeed);
        verifier.setMode(reverts ? MockHalo2Verifier.Mode.Revert : MockHalo2Verifier.Mode.Reject);
        _submit(submission, abi.encodeWithSelector(IAlertRegistry.AlertRegistryInvalidProof.selector, MODEL_1));
        verifier.setMode(MockHalo2Verifier.Mode.Accept);
    }

    /// @dev A valid-looking submission from an account that is not a gateway.
    function submitAsStranger(uint256 streamSeed, uint256 freshSeed) external {
        bytes32 streamId = _stream(streamSeed);
        Submission memory submission = _freshSingle(_stranger, streamId, freshSeed);
        _submit(submission, abi.encodeWithSelector(IAlertRegistry.AlertRegistryUnknownGateway.selector, _stranger));
    }

    /// @dev A copied proof: its binding was made for the other gateway, another stream or
    /// another index than the one it is submitted at; or the right binding's limbs re-encoded: as
    /// a negative limb 0 (r - 2^28 + l_0, limb 1 one larger: the binding in the field), with one
    /// limb changed, or with a carry moved from limb 1 to limb 0 (the binding in the integers).
    function submitForeignBinding(uint256 streamSeed, uint256 freshSeed, uint8 kind) external {
        bytes32 streamId = _stream(streamSeed);
        Submission memory submission = _freshSingle(_gatewayFor(streamId, freshSeed), streamId, freshSeed);
        uint256 expected = AlertChain.binding(submission.sender, streamId, submission.firstIndex);
        uint256[] memory limbs = submission.bindingLimbs;
        uint256 got;
        kind %= 6;
        if (kind == 0) {
            address other = submission.sender == _gateways[0] ? _gateways[1] : _gateways[0];
            got = AlertChain.binding(other, streamId, submission.firstIndex);
        } else if (kind == 1) {
            bytes32 otherStream = _streams[(streamSeed % _streams.length + 1 + freshSeed % 2) % _streams.length];
            got = AlertChain.binding(submission.sender, otherStream, submission.firstIndex);
        } else if (kind == 2) {
            got = AlertChain.binding(submission.sender, streamId, submission.firstIndex + 1);
        } else if (kind == 3) {
            limbs[0] = R - AlertChain.LIMB_BOUND + limbs[0];
            limbs[1] += 1;
            got = expected + R;
        } else if (kind == 4) {
            uint256 position = freshSeed % AlertChain.BINDING_LIMBS;
            uint256 delta = 1 + (freshSeed >> 8) % 1_000;
            limbs[position] += delta;
            got = expected + delta * AlertChain.LIMB_BOUND ** position;
        } else {
            if (limbs[1] == 0) return;
            limbs[0] += AlertChain.LIMB_BOUND;
            limbs[1] -= 1;
            got = expected;
        }
        if (kind <= 2) submission.bindingLimbs = AlertChain.limbs(got);
        _submit(
            submission, abi.encodeWithSelector(IAlertRegistry.AlertRegistryBindingMismatch.selector, 0, expected, got)
        );
    }

    /// @dev An index at or below the last recorded one (a proof made for an earlier window).
    function submitOldIndex(uint256 streamSeed, uint256 freshSeed, uint64 back) external {
        bytes32 streamId = _stream(streamSeed);
        uint64 next = ghost_nextIndex[streamId];
        if (next == 0) return;
        Submission memory submission = _freshSingle(_gatewayFor(streamId, freshSeed), streamId, freshSeed);
        submission.firstIndex = next - 1 - uint64(bound(back, 0, next - 1));
        _bind(submission);
        _submit(
            submission,
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryIndexNotIncreasing.selector, streamId, next, submission.firstIndex
            )
        );
    }

    /// @dev An index more than MAX_INDEX_GAP past the stream's next one.
    function submitTooFarAhead(uint256 streamSeed, uint256 freshSeed, uint64 beyond) external {
        bytes32 streamId = _stream(streamSeed);
        uint64 next = ghost_nextIndex[streamId];
        Submission memory submission = _freshSingle(_gatewayFor(streamId, freshSeed), streamId, freshSeed);
        submission.firstIndex = next + MAX_INDEX_GAP + 1 + uint64(bound(beyond, 0, MAX_INDEX_GAP));
        _bind(submission);
        _submit(
            submission,
            abi.encodeWithSelector(
                IAlertRegistry.AlertRegistryIndexGap.selector, streamId, next, submission.firstIndex, MAX_INDEX_GAP
            )
        );
    }

    // ============================================================ views for the invariants

    function streams() external view returns (bytes32[3] memory) {
        return _streams;
    }

    function statementCount() external view returns (uint256) {
        return ghost_statements.length;
    }

    function proofFirstIndexes(bytes32 streamId) external view returns (uint64[] memory) {
        return _proofFirstIndexes[streamId];
    }

    function gateways() external view returns (address[2] memory) {
        return _gateways;
    }

    // ============================================================ internals

    /// @dev Submits and checks the outcome against `expectedError` (empty: must be accepted).
    /// Never reverts, so every surprise lands in ghost_unexpectedOutcomes.
    function _submit(Submission memory submission, bytes memory expectedError) internal {
        uint256[] memory instances =
            AlertChain.instancesWithLimbs(submission.commitments, submission.scores, submission.bindingLimbs);
        // The stream binding is checked after the gateway, instance count and field checks, and
        // before prevHash, indexes, binding limbs, replay and proof.
        address bound = ghost_streamGateway[submission.streamId];
        address sender = submission.sender;
        bool isGateway = sender == _gateways[0] || sender == _gateways[1];
        // casting to 'bytes4' is safe because only the error selector is compared
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes4 expectedSelector = bytes4(expectedError);
        bool fieldError = expectedSelector == IAlertRegistry.AlertRegistryInstanceOutOfField.selector;
        if (isGateway && bound != sender && !fieldError) {
            expectedError = bound == address(0)
                ? abi.encodeWithSelector(IAlertRegistry.AlertRegistryStreamNotOpen.selector, submission.streamId)
                : abi.encodeWithSelector(
                    IAlertRegistry.AlertRegistryStreamGateway.selector, submission.streamId, bound, sender
                );
        }
        vm.prank(sender);
        try registry.submitAlert(
            submission.streamId,
            submission.modelId,
            submission.prevHash,
            submission.firstIndex,
            hex"0badc0de",
            instances
        ) returns (
            bytes32 newHead
        ) {
            ++ghost_accepted;
            if (expectedError.length != 0) ++ghost_unexpectedOutcomes;
            bytes32 folded = _fold(submission);
            if (folded != newHead) ++ghost_unexpectedOutcomes;
            ghost_streamGateway[submission.streamId] = sender;
        } catch (bytes memory reason) {
            ++ghost_refused;
            if (keccak256(reason) != keccak256(expectedError)) ++ghost_unexpectedOutcomes;
            // forge-lint: disable-next-line(unsafe-typecast)
            bytes4 selector = bytes4(reason);
            if (selector == IAlertRegistry.AlertRegistryBindingMismatch.selector) ++ghost_bindingRefusals;
            if (
                selector == IAlertRegistry.AlertRegistryIndexNotIncreasing.selector
                    || selector == IAlertRegistry.AlertRegistryIndexGap.selector
            ) ++ghost_indexRefusals;
        }
    }

    /// @dev Appends the windows to the ghost chain exactly as the specification says.
    function _fold(Submission memory submission) internal returns (bytes32 head) {
        bytes32 streamId = submission.streamId;
        head = ghost_head[streamId];
        uint64 seq = ghost_count[streamId];
        for (uint256 i; i < submission.commitments.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 windowIndex = submission.firstIndex + uint64(i);
            uint256 commitment = submission.commitments[i];
            uint256 score = submission.scores[i];
            head = AlertChain.alertHash(
                head,
                streamId,
                seq,
                windowIndex,
                submission.modelId,
                submission.sender,
                commitment,
                score,
                score >= THRESHOLD
            );
            ghost_windowIndex[streamId][seq] = windowIndex;
            ++seq;

            bytes32 statement = AlertChain.statement(submission.modelId, commitment, score);
            if (ghost_recorded[statement]) ++ghost_duplicateStatements;
            ghost_recorded[statement] = true;
            ghost_statements.push(statement);
            _recordedWindows.push(
                Window(submission.modelId, commitment, score, submission.sender, streamId, windowIndex)
            );
        }
        ghost_proofRecord[streamId][submission.firstIndex] = head;
        _proofFirstIndexes[streamId].push(submission.firstIndex);
        ghost_head[streamId] = head;
        ghost_count[streamId] = seq;
        // forge-lint: disable-next-line(unsafe-typecast)
        ghost_nextIndex[streamId] = submission.firstIndex + uint64(submission.commitments.length);
    }

    /// @dev A submission of `windows` windows to the stream's head, `skip` indexes past its next
    /// index; commitments, scores and bindings still to be filled in.
    function _submission(address sender, bytes32 streamId, bytes32 modelId, uint64 skip, uint256 windows)
        internal
        view
        returns (Submission memory submission)
    {
        submission.sender = sender;
        submission.streamId = streamId;
        submission.modelId = modelId;
        submission.prevHash = ghost_head[streamId];
        submission.firstIndex = ghost_nextIndex[streamId] + skip;
        submission.commitments = new uint256[](windows);
        submission.scores = new uint256[](windows);
        submission.bindingLimbs = new uint256[](AlertChain.BINDING_LIMBS * windows);
    }

    /// @dev The binding limbs the sender needs for the submission's stream and indexes.
    function _bind(Submission memory submission) internal pure {
        submission.bindingLimbs = AlertChain.bindingLimbs(
            AlertChain.bindings(
                submission.sender, submission.streamId, submission.firstIndex, submission.commitments.length
            )
        );
    }

    /// @dev Window i's commitment as the circuit makes it: of the window's data (`seed`) and of
    /// its binding limbs, so the same readings at another index are another statement.
    function _commitment(uint256 seed, Submission memory submission, uint256 i) internal pure returns (uint256) {
        uint256[] memory limbs = submission.bindingLimbs;
        uint256 at = AlertChain.BINDING_LIMBS * i;
        return uint256(
            keccak256(abi.encode(seed, limbs[at], limbs[at + 1], limbs[at + 2], limbs[at + 3], limbs[at + 4]))
        ) % R;
    }

    /// @dev Mostly no skip, sometimes a few windows, one call in sixteen the largest allowed.
    function _skip(uint256 seed) internal pure returns (uint64) {
        uint256 pick = (seed >> 8) % 16;
        if (pick == 15) return MAX_INDEX_GAP;
        // forge-lint: disable-next-line(unsafe-typecast)
        return pick < 12 ? 0 : uint64(pick - 11);
    }

    function _stream(uint256 seed) internal view returns (bytes32) {
        return _streams[seed % _streams.length];
    }

    /// @dev Mostly the stream's own gateway (so chains grow), one call in four either gateway (so
    /// a foreign gateway's attempts to extend a bound stream are exercised too).
    function _gatewayFor(bytes32 streamId, uint256 seed) internal view returns (address) {
        address bound = ghost_streamGateway[streamId];
        if (bound != address(0) && seed % 4 != 0) return bound;
        return _gateways[(seed / 4) % 2];
    }

    /// @dev A single window, bound for the sender at the stream's next index, that cannot collide
    /// with the small seed space of submitValid.
    function _freshSingle(address sender, bytes32 streamId, uint256 seed)
        internal
        view
        returns (Submission memory submission)
    {
        submission = _submission(sender, streamId, MODEL_1, 0, 1);
        submission.commitments[0] = uint256(keccak256(abi.encode("unrecorded", seed))) % R;
        submission.scores[0] = seed % (2 * THRESHOLD);
        _bind(submission);
    }
}

contract AlertRegistryInvariantTest is Test {
    AlertRegistry internal registry;
    MockHalo2Verifier internal verifier;
    AlertRegistryHandler internal handler;

    function setUp() public {
        address owner = makeAddr("owner");
        address[2] memory gateways = [makeAddr("gateway/0"), makeAddr("gateway/1")];
        registry = new AlertRegistry(owner);
        verifier = new MockHalo2Verifier();
        MockHalo2Verifier verifier3 = new MockHalo2Verifier();
        handler = new AlertRegistryHandler(registry, verifier, owner, gateways);

        vm.startPrank(owner);
        registry.registerModel(
            handler.MODEL_1(), address(verifier), 1_000, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        registry.registerModel(
            handler.MODEL_3(), address(verifier3), 1_000, 3, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        registry.setGateway(gateways[0], true);
        registry.setGateway(gateways[1], true);
        vm.stopPrank();
        handler.openStreams();

        // submitValid is listed five times: forge picks uniformly from this list, so about a third
        // of the calls extend a chain and the chains grow long enough to matter.
        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = AlertRegistryHandler.submitValid.selector;
        selectors[1] = AlertRegistryHandler.submitValid.selector;
        selectors[2] = AlertRegistryHandler.submitValid.selector;
        selectors[3] = AlertRegistryHandler.submitValid.selector;
        selectors[4] = AlertRegistryHandler.submitValid.selector;
        selectors[5] = AlertRegistryHandler.submitReplay.selector;
        selectors[6] = AlertRegistryHandler.submitStale.selector;
        selectors[7] = AlertRegistryHandler.submitOutOfField.selector;
        selectors[8] = AlertRegistryHandler.submitInvalidProof.selector;
        selectors[9] = AlertRegistryHandler.submitAsStranger.selector;
        selectors[10] = AlertRegistryHandler.rebindStream.selector;
        selectors[11] = AlertRegistryHandler.submitForeignBinding.selector;
        selectors[12] = AlertRegistryHandler.submitOldIndex.selector;
        selectors[13] = AlertRegistryHandler.submitTooFarAhead.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    function invariant_headMatchesGhostHead() public view {
        bytes32[3] memory streamIds = handler.streams();
        for (uint256 i; i < streamIds.length; ++i) {
            assertEq(registry.head(streamIds[i]), handler.ghost_head(streamIds[i]), "head");
        }
    }

    function invariant_countMatchesGhostCount() public view {
        bytes32[3] memory streamIds = handler.streams();
        uint256 total;
        for (uint256 i; i < streamIds.length; ++i) {
            uint64 streamCount = registry.count(streamIds[i]);
            assertEq(streamCount, handler.ghost_count(streamIds[i]), "count");
            total += streamCount;
        }
        // every recorded alert carries its own statement
        assertEq(total, handler.statementCount(), "alerts vs statements");
    }

    /// @dev One record per accepted proof, the ghost chain's hash of its last window, under its
    /// first index; none at the index of a window inside a batch.
    function invariant_proofRecordsMatchGhostChain() public view {
        bytes32[3] memory streamIds = handler.streams();
        for (uint256 i; i < streamIds.length; ++i) {
            uint64[] memory firstIndexes = handler.proofFirstIndexes(streamIds[i]);
            for (uint256 p; p < firstIndexes.length; ++p) {
                bytes32 expected = handler.ghost_proofRecord(streamIds[i], firstIndexes[p]);
                assertTrue(expected != bytes32(0), "ghost record");
                assertEq(registry.proofRecord(streamIds[i], firstIndexes[p]), expected, "proofRecord");
            }
            uint64 streamCount = registry.count(streamIds[i]);
            for (uint64 seq; seq < streamCount; ++seq) {
                uint64 windowIndex = handler.ghost_windowIndex(streamIds[i], seq);
                if (handler.ghost_proofRecord(streamIds[i], windowIndex) == bytes32(0)) {
                    assertEq(registry.proofRecord(streamIds[i], windowIndex), bytes32(0), "record inside a batch");
                }
            }
        }
    }

    /// @dev The registry's next index is the ghost's, and along each chain the window indexes
    /// strictly increase and stay below it (every recorded index was bound into its proof).
    function invariant_windowIndexesIncrease() public view {
        bytes32[3] memory streamIds = handler.streams();
        for (uint256 i; i < streamIds.length; ++i) {
            uint64 next = registry.nextIndex(streamIds[i]);
            uint64 streamCount = registry.count(streamIds[i]);
            assertEq(next, handler.ghost_nextIndex(streamIds[i]), "nextIndex");
            assertGe(next, streamCount, "fewer indexes than alerts");
            for (uint64 seq; seq < streamCount; ++seq) {
                uint64 windowIndex = handler.ghost_windowIndex(streamIds[i], seq);
                uint64 following = seq + 1 < streamCount ? handler.ghost_windowIndex(streamIds[i], seq + 1) : next;
                assertLt(windowIndex, following, "window index not increasing");
            }
        }
    }

    function invariant_noStatementRecordedTwice() public view {
        assertEq(handler.ghost_duplicateStatements(), 0, "a recorded statement was accepted again");
    }

    function invariant_streamsBoundAsSpecified() public view {
        bytes32[3] memory streamIds = handler.streams();
        address[2] memory gateways = handler.gateways();
        for (uint256 i; i < streamIds.length; ++i) {
            address bound = registry.streamGateway(streamIds[i]);
            assertEq(bound, handler.ghost_streamGateway(streamIds[i]), "streamGateway");
            // a stream is bound only to a gateway the owner chose (or to nobody: closed)
            assertTrue(bound == address(0) || bound == gateways[0] || bound == gateways[1], "bound to a stranger");
        }
    }

    function invariant_outcomesMatchSpecification() public view {
        assertEq(handler.ghost_unexpectedOutcomes(), 0, "a submission was accepted or refused unexpectedly");
    }
}
