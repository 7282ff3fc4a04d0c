// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {MockHalo2Verifier} from "./utils/MockHalo2Verifier.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {WindowLog} from "../contracts/WindowLog.sol";
import {IWindowLog} from "../contracts/interfaces/IWindowLog.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev The lazy policy's window log: commitments without proofs, gaps visible for ever.
contract WindowLogTest is Test {
    bytes32 internal constant MODEL = keccak256("model/one-window");
    bytes32 internal constant STREAM = keccak256("stream/a");
    uint256 internal constant THRESHOLD = 1_000;
    uint256 internal constant R = BN254.FIELD_MODULUS;

    AlertRegistry internal registry;
    WindowLog internal windowLog;
    address internal owner;
    address internal gateway;
    address internal otherGateway;
    address internal stranger;

    function setUp() public {
        owner = makeAddr("owner");
        gateway = makeAddr("gateway");
        otherGateway = makeAddr("otherGateway");
        stranger = makeAddr("stranger");
        registry = new AlertRegistry(owner);
        MockHalo2Verifier verifier = new MockHalo2Verifier();
        vm.startPrank(owner);
        registry.registerModel(
            MODEL, address(verifier), THRESHOLD, 1, IAlertRegistry.CommitmentScheme.Poseidon, TEST_SRS_ID
        );
        registry.setGateway(gateway, true);
        registry.setGateway(otherGateway, true);
        registry.setStreamGateway(STREAM, gateway);
        vm.stopPrank();
        windowLog = new WindowLog(registry);
    }

    // ============================================================ helpers

    /// @dev The specification of a commit hash, written out independently of the contract.
    function _commitHash(
        bytes32 prevHead,
        uint64 seq,
        uint64 windowIndex,
        address by,
        uint256 inputCommitment,
        uint256 score
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(prevHead, STREAM, seq, windowIndex, MODEL, by, inputCommitment, score, score >= THRESHOLD)
        );
    }

    function _one(uint64 value) internal pure returns (uint64[] memory values) {
        values = new uint64[](1);
        values[0] = value;
    }

    function _oneU(uint256 value) internal pure returns (uint256[] memory values) {
        values = new uint256[](1);
        values[0] = value;
    }

    function _commitOne(address by, bytes32 prevHash, uint64 windowIndex, uint256 commitment, uint256 score)
        internal
        returns (bytes32)
    {
        vm.prank(by);
        return windowLog.commitWindows(STREAM, MODEL, prevHash, _one(windowIndex), _oneU(commitment), _oneU(score));
    }

    // ============================================================ commitWindows

    function test_commitWindows_chainsAndEmits() public {
        bytes32 first = _commitOne(gateway, bytes32(0), 0, 11, 999);
        assertEq(first, _commitHash(bytes32(0), 0, 0, gateway, 11, 999));

        vm.expectEmit(address(windowLog));
        emit IWindowLog.WindowCommitted(
            STREAM, 1, 1, MODEL, _commitHash(first, 1, 1, gateway, 12, 1_000), first, gateway, 12, 1_000, true
        );
        bytes32 second = _commitOne(gateway, first, 1, 12, 1_000);

        assertEq(windowLog.head(STREAM), second);
        assertEq(windowLog.count(STREAM), 2);
        assertEq(windowLog.lastIndex(STREAM), 1);
        assertEq(windowLog.gatewayOf(STREAM), gateway);
        assertEq(address(windowLog.registry()), address(registry));
    }

    function test_commitWindows_batchAcceptsGapsAndFoldsLikeSingles() public {
        uint64[] memory indexes = new uint64[](3);
        uint256[] memory commitments = new uint256[](3);
        uint256[] memory scores = new uint256[](3);
        (indexes[0], indexes[1], indexes[2]) = (5, 6, 9); // 7 and 8 withheld: a visible gap
        (commitments[0], commitments[1], commitments[2]) = (1, 2, 3);
        (scores[0], scores[1], scores[2]) = (10, 2_000, 30);
        vm.prank(gateway);
        bytes32 newHead = windowLog.commitWindows(STREAM, MODEL, bytes32(0), indexes, commitments, scores);

        bytes32 expected = _commitHash(bytes32(0), 0, 5, gateway, 1, 10);
        expected = _commitHash(expected, 1, 6, gateway, 2, 2_000);
        expected = _commitHash(expected, 2, 9, gateway, 3, 30);
        assertEq(newHead, expected);
        assertEq(windowLog.count(STREAM), 3);
        assertEq(windowLog.lastIndex(STREAM), 9);
    }

    function test_commitWindows_registryBindingHandsTheStreamOver() public {
        bytes32 head = _commitOne(gateway, bytes32(0), 0, 1, 1);
        vm.prank(owner);
        registry.setStreamGateway(STREAM, otherGateway);
        _commitOne(otherGateway, head, 1, 2, 2);
        assertEq(windowLog.gatewayOf(STREAM), otherGateway);
    }

    function testFuzz_commitWindows_anyIncreasingIndexes(uint64 start, uint64 step) public {
        start = uint64(bound(start, 0, windowLog.MAX_INDEX_GAP()));
        step = uint64(bound(step, 1, windowLog.MAX_INDEX_GAP()));
        bytes32 head = _commitOne(gateway, bytes32(0), start, 1, 1);
        head = _commitOne(gateway, head, start + step, 2, 2);
        assertEq(windowLog.lastIndex(STREAM), start + step);
        assertEq(windowLog.count(STREAM), 2);
    }

    // ============================================================ reverts

    function test_RevertWhen_callerIsNotAGateway() public {
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogUnknownGateway.selector, stranger));
        _commitOne(stranger, bytes32(0), 0, 1, 1);
    }

    function test_RevertWhen_modelIsUnknown() public {
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogUnknownModel.selector, bytes32(uint256(7))));
        windowLog.commitWindows(STREAM, bytes32(uint256(7)), bytes32(0), _one(0), _oneU(1), _oneU(1));
    }

    function test_RevertWhen_anotherGatewayExtendsTheStream() public {
        bytes32 head = _commitOne(gateway, bytes32(0), 0, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IWindowLog.WindowLogStreamGateway.selector, STREAM, gateway, otherGateway)
        );
        _commitOne(otherGateway, head, 1, 2, 2);
    }

    /// @dev A rival cannot take or block a stream by committing to it first: the stream is the
    /// registry owner's to open, and until it is, nobody commits to it.
    function test_RevertWhen_rivalCommitsFirstToAStream() public {
        vm.expectRevert(
            abi.encodeWithSelector(IWindowLog.WindowLogStreamGateway.selector, STREAM, gateway, otherGateway)
        );
        _commitOne(otherGateway, bytes32(0), 0, 1, 1);
        bytes32 unopened = keccak256("stream/unopened");
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogStreamNotOpen.selector, unopened));
        vm.prank(otherGateway);
        windowLog.commitWindows(unopened, MODEL, bytes32(0), _one(0), _oneU(1), _oneU(1));
        assertEq(windowLog.count(unopened), 0);
        _commitOne(gateway, bytes32(0), 0, 1, 1);
        assertEq(windowLog.count(STREAM), 1);
    }

    function test_RevertWhen_prevHashIsStale() public {
        bytes32 head = _commitOne(gateway, bytes32(0), 0, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogStalePrevHash.selector, head, bytes32(0)));
        _commitOne(gateway, bytes32(0), 1, 2, 2);
    }

    function test_RevertWhen_indexDoesNotIncrease() public {
        bytes32 head = _commitOne(gateway, bytes32(0), 4, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogIndexNotIncreasing.selector, STREAM, 4, 4));
        _commitOne(gateway, head, 4, 2, 2);
        // a withheld window cannot be slipped in later
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogIndexNotIncreasing.selector, STREAM, 4, 3));
        _commitOne(gateway, head, 3, 2, 2);
    }

    /// @dev A jump to the top of the index range would leave no index to commit next: the stream
    /// would be frozen. A gap of up to MAX_INDEX_GAP withheld windows stays possible (and visible).
    function test_RevertWhen_indexJumpWouldFreezeTheStream() public {
        uint64 maxGap = windowLog.MAX_INDEX_GAP();
        vm.expectRevert(
            abi.encodeWithSelector(IWindowLog.WindowLogIndexGap.selector, STREAM, 0, type(uint64).max, maxGap)
        );
        _commitOne(gateway, bytes32(0), type(uint64).max, 1, 1);
        bytes32 head = _commitOne(gateway, bytes32(0), 4, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IWindowLog.WindowLogIndexGap.selector, STREAM, 4, type(uint64).max, maxGap)
        );
        _commitOne(gateway, head, type(uint64).max, 2, 2);
        head = _commitOne(gateway, head, 4 + maxGap, 2, 2);
        assertEq(windowLog.lastIndex(STREAM), 4 + maxGap);
        _commitOne(gateway, head, 5 + maxGap, 3, 3);
        assertEq(windowLog.count(STREAM), 3);
    }

    function test_RevertWhen_batchIndexesDoNotIncrease() public {
        uint64[] memory indexes = new uint64[](2);
        (indexes[0], indexes[1]) = (3, 3);
        uint256[] memory values = new uint256[](2);
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogIndexNotIncreasing.selector, STREAM, 3, 3));
        windowLog.commitWindows(STREAM, MODEL, bytes32(0), indexes, values, values);
    }

    function test_RevertWhen_lengthsDiffer() public {
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogLengthMismatch.selector, 1, 2, 1));
        windowLog.commitWindows(STREAM, MODEL, bytes32(0), _one(0), new uint256[](2), _oneU(1));
    }

    function test_RevertWhen_batchIsEmptyOrTooLarge() public {
        vm.startPrank(gateway);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogBatchSize.selector, 0, 64));
        windowLog.commitWindows(STREAM, MODEL, bytes32(0), new uint64[](0), new uint256[](0), new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogBatchSize.selector, 65, 64));
        windowLog.commitWindows(STREAM, MODEL, bytes32(0), new uint64[](65), new uint256[](65), new uint256[](65));
        vm.stopPrank();
    }

    function test_RevertWhen_valueIsOutsideTheField() public {
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogInstanceOutOfField.selector, 0, R));
        _commitOne(gateway, bytes32(0), 0, R, 1);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogInstanceOutOfField.selector, 1, R + 1));
        _commitOne(gateway, bytes32(0), 0, 1, R + 1);
    }

    function test_commitWindows_kzgModelTakesAnyCommitmentButScoresStayInTheField() public {
        bytes32 kzgModel = keccak256("model/kzg");
        MockHalo2Verifier verifier = new MockHalo2Verifier();
        vm.prank(owner);
        registry.registerModel(
            kzgModel, address(verifier), THRESHOLD, 1, IAlertRegistry.CommitmentScheme.Kzg, TEST_SRS_ID
        );
        uint256 above = type(uint256).max; // keccak256 of a G1 point can be any 256-bit value
        vm.prank(gateway);
        windowLog.commitWindows(STREAM, kzgModel, bytes32(0), _one(0), _oneU(above), _oneU(1));
        assertEq(windowLog.count(STREAM), 1);
        bytes32 head = windowLog.head(STREAM);
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogInstanceOutOfField.selector, 1, R));
        vm.prank(gateway);
        windowLog.commitWindows(STREAM, kzgModel, head, _one(1), _oneU(above), _oneU(R));
        // the Poseidon model of the same log still refuses a commitment outside the field
        vm.expectRevert(abi.encodeWithSelector(IWindowLog.WindowLogInstanceOutOfField.selector, 0, above));
        _commitOne(gateway, head, 1, above, 1);
    }

    function test_version() public view {
        assertEq(windowLog.version(), "0.3.0");
        assertEq(windowLog.MAX_BATCH(), 64);
    }
}
