// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAlertRegistry} from "./interfaces/IAlertRegistry.sol";
import {IWindowLog} from "./interfaces/IWindowLog.sol";
import {BN254} from "./utils/BN254.sol";

/// @title WindowLog
/// @notice Per-stream hash chains of committed (not yet proven) windows, for lazy proving.
contract WindowLog is IWindowLog {
    /// @inheritdoc IWindowLog
    uint256 public constant MAX_BATCH = 64;

    /// @inheritdoc IWindowLog
    uint64 public constant MAX_INDEX_GAP = 2 ** 32;

    /// @dev head fills one slot; count, lastIndex and gateway share the next.
    struct Stream {
        bytes32 head;
        uint64 count;
        uint64 lastIndex;
        address gateway;
    }

    IAlertRegistry private immutable _registry;
    mapping(bytes32 streamId => Stream stream) private _streams;

    /// @param registry_ The registry whose gateways and models this log accepts.
    constructor(IAlertRegistry registry_) {
        _registry = registry_;
    }

    // ---------------------------------------------------------------- gateways

    /// @inheritdoc IWindowLog
    function commitWindows(
        bytes32 streamId,
        bytes32 modelId,
        bytes32 prevHash,
        uint64[] calldata windowIndexes,
        uint256[] calldata inputCommitments,
        uint256[] calldata scores
    ) external returns (bytes32 newHead) {
        if (inputCommitments.length != windowIndexes.length || scores.length != windowIndexes.length) {
            revert WindowLogLengthMismatch(windowIndexes.length, inputCommitments.length, scores.length);
        }
        if (windowIndexes.length == 0 || windowIndexes.length > MAX_BATCH) {
            revert WindowLogBatchSize(windowIndexes.length, MAX_BATCH);
        }
        Batch memory batch = _openBatch(streamId, modelId, prevHash);
        for (uint256 i; i < windowIndexes.length; ++i) {
            // a Poseidon commitment is a public instance, a field element; a KZG commitment is the
            // keccak256 of the proof's G1 point (as the registry records it), any 256-bit value
            if (!batch.kzg && inputCommitments[i] >= BN254.FIELD_MODULUS) {
                revert WindowLogInstanceOutOfField(2 * i, inputCommitments[i]);
            }
            if (scores[i] >= BN254.FIELD_MODULUS) revert WindowLogInstanceOutOfField(2 * i + 1, scores[i]);
            _commit(batch, windowIndexes[i], inputCommitments[i], scores[i]);
        }
        batch.stream.gateway = msg.sender;
        _streams[streamId] = batch.stream;
        newHead = batch.stream.head;
    }

    /// @dev What every window of one {commitWindows} call shares.
    struct Batch {
        bytes32 streamId;
        bytes32 modelId;
        uint256 threshold;
        bool kzg;
        Stream stream;
    }

    /// @dev Checks the caller, the model and the stream's head and gateway; loads the stream.
    function _openBatch(bytes32 streamId, bytes32 modelId, bytes32 prevHash) private view returns (Batch memory batch) {
        if (!_registry.isGateway(msg.sender)) revert WindowLogUnknownGateway(msg.sender);
        IAlertRegistry.Model memory registered = _registry.model(modelId);
        if (registered.verifier == address(0)) revert WindowLogUnknownModel(modelId);

        Stream memory stream = _streams[streamId];
        // the registry owner's binding is the only one: it opens streams and hands them over
        address bound = _registry.streamGateway(streamId);
        if (bound != msg.sender) {
            if (bound == address(0)) revert WindowLogStreamNotOpen(streamId);
            revert WindowLogStreamGateway(streamId, bound, msg.sender);
        }
        if (prevHash != stream.head) revert WindowLogStalePrevHash(stream.head, prevHash);
        batch = Batch({
            streamId: streamId,
            modelId: modelId,
            threshold: registered.threshold,
            kzg: registered.commitment == IAlertRegistry.CommitmentScheme.Kzg,
            stream: stream
        });
    }

    /// @dev Appends one window to the batch's stream (in memory) and emits it.
    function _commit(Batch memory batch, uint64 windowIndex, uint256 inputCommitment, uint256 score) private {
        Stream memory stream = batch.stream;
        if (stream.count != 0 && windowIndex <= stream.lastIndex) {
            revert WindowLogIndexNotIncreasing(batch.streamId, stream.lastIndex, windowIndex);
        }
        if (windowIndex - stream.lastIndex > MAX_INDEX_GAP) {
            revert WindowLogIndexGap(batch.streamId, stream.lastIndex, windowIndex, MAX_INDEX_GAP);
        }
        bool alarm = score >= batch.threshold;
        bytes32 commitHash = keccak256(
            abi.encode(
                stream.head,
                batch.streamId,
                stream.count,
                windowIndex,
                batch.modelId,
                msg.sender,
                inputCommitment,
                score,
                alarm
            )
        );
        emit WindowCommitted(
            batch.streamId,
            stream.count,
            windowIndex,
            batch.modelId,
            commitHash,
            stream.head,
            msg.sender,
            inputCommitment,
            score,
            alarm
        );
        stream.head = commitHash;
        stream.lastIndex = windowIndex;
        ++stream.count;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IWindowLog
    function registry() external view returns (IAlertRegistry) {
        return _registry;
    }

    /// @inheritdoc IWindowLog
    function head(bytes32 streamId) external view returns (bytes32) {
        return _streams[streamId].head;
    }

    /// @inheritdoc IWindowLog
    function count(bytes32 streamId) external view returns (uint64) {
        return _streams[streamId].count;
    }

    /// @inheritdoc IWindowLog
    function lastIndex(bytes32 streamId) external view returns (uint64) {
        return _streams[streamId].lastIndex;
    }

    /// @inheritdoc IWindowLog
    function gatewayOf(bytes32 streamId) external view returns (address) {
        return _streams[streamId].gateway;
    }

    /// @inheritdoc IWindowLog
    function version() external pure returns (string memory) {
        return "0.3.0";
    }
}
