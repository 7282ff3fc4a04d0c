// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAlertRegistry} from "./IAlertRegistry.sol";

/// @title IWindowLog
/// @notice The lazy policy's on-chain log: a gateway commits every scored window (its Poseidon input
/// commitment and claimed score) without a proof, in a per-stream hash chain; the proof is made
/// later, when a regulator asks for it, and checked against the committed values off-chain and by
/// an eth_call of the model's verifier.
/// @dev Window indexes are the gateway's own positions in the stream (row or time step) and must
/// strictly increase, so a window that was never committed leaves a gap that no later commit can
/// fill: a regulator reading the log sees every suppressed window. Gateways and models are those of
/// the {IAlertRegistry} the log is bound to; a stream can only be extended by the gateway the
/// registry's owner opened it for (`streamGateway`).
interface IWindowLog {
    // ---------------------------------------------------------------- errors

    /// @notice The caller is not a gateway of the registry.
    error WindowLogUnknownGateway(address caller);

    /// @notice The model is not registered in the registry.
    error WindowLogUnknownModel(bytes32 modelId);

    /// @notice The stream belongs to another gateway.
    error WindowLogStreamGateway(bytes32 streamId, address gateway, address caller);
    /// @notice The registry's owner has not opened this stream (`AlertRegistry.setStreamGateway`):
    /// a stream's gateway is the registry's binding, never the first committer.
    error WindowLogStreamNotOpen(bytes32 streamId);

    /// @notice `prevHash` is not the stream's head.
    error WindowLogStalePrevHash(bytes32 expected, bytes32 got);

    /// @notice A window index is not above the stream's last committed index (or the previous one
    /// in the batch).
    error WindowLogIndexNotIncreasing(bytes32 streamId, uint64 lastIndex, uint64 windowIndex);
    /// @notice A window index jumps more than `maxGap` past the stream's last one (or past 0 for a
    /// stream's first window): a jump to the top of the index range would freeze the stream.
    error WindowLogIndexGap(bytes32 streamId, uint64 lastIndex, uint64 windowIndex, uint64 maxGap);

    /// @notice The three arrays of a batch differ in length.
    error WindowLogLengthMismatch(uint256 windowIndexes, uint256 inputCommitments, uint256 scores);

    /// @notice A batch is empty or larger than {MAX_BATCH}.
    error WindowLogBatchSize(uint256 size, uint256 maxSize);

    /// @notice A commitment or score is not below the BN254 scalar field modulus.
    error WindowLogInstanceOutOfField(uint256 index, uint256 value);

    // ---------------------------------------------------------------- events

    /// @notice One window was committed.
    /// @param streamId keccak256 of the stream name.
    /// @param seq The window's position in this log (0, 1, 2, ... per stream).
    /// @param windowIndex The gateway's index of the window in the stream; a jump is a gap.
    /// @param modelId The model that scored the window.
    /// @param commitHash keccak256(abi.encode(prevHash, streamId, seq, windowIndex, modelId, gateway,
    /// inputCommitment, score, alarm)).
    /// @param prevHash The stream head before this window.
    /// @param gateway The committing gateway.
    /// @param inputCommitment The window's commitment as the registry records it: the Poseidon hash
    /// (the proof's instance 0) or, for a KZG-committed model, keccak256 of the proof's G1 point.
    /// @param score The claimed fixed-point score (the proof's instance 1); unproven until a proof is
    /// checked against it.
    /// @param alarm `score >= threshold` of the model, as registered in the registry.
    event WindowCommitted(
        bytes32 indexed streamId,
        uint64 indexed seq,
        uint64 indexed windowIndex,
        bytes32 modelId,
        bytes32 commitHash,
        bytes32 prevHash,
        address gateway,
        uint256 inputCommitment,
        uint256 score,
        bool alarm
    );

    // ---------------------------------------------------------------- gateways

    /// @notice Commits a batch of windows of one stream, scored by one model.
    /// @param streamId The stream.
    /// @param modelId A model registered in the registry.
    /// @param prevHash The stream head the batch extends; must equal {head}.
    /// @param windowIndexes The windows' indexes, strictly increasing and above {lastIndex} (any
    /// value for a stream's first window).
    /// @param inputCommitments The windows' input commitments, in the model's commitment scheme
    /// (Poseidon: field elements; KZG: keccak256 of the proof's G1 point, any 256-bit value).
    /// @param scores The windows' claimed fixed-point scores.
    /// @return newHead The stream head after the last window.
    function commitWindows(
        bytes32 streamId,
        bytes32 modelId,
        bytes32 prevHash,
        uint64[] calldata windowIndexes,
        uint256[] calldata inputCommitments,
        uint256[] calldata scores
    ) external returns (bytes32 newHead);

    // ---------------------------------------------------------------- views

    /// @notice The registry whose gateways and models this log accepts.
    /// @return The registry.
    function registry() external view returns (IAlertRegistry);

    /// @notice The hash of a stream's latest committed window.
    /// @param streamId The stream.
    /// @return The head; bytes32(0) for a stream without windows.
    function head(bytes32 streamId) external view returns (bytes32);

    /// @notice The number of windows committed to a stream (the next window's seq).
    /// @param streamId The stream.
    /// @return The count.
    function count(bytes32 streamId) external view returns (uint64);

    /// @notice The index of a stream's latest committed window.
    /// @param streamId The stream.
    /// @return The index; meaningless while {count} is 0.
    function lastIndex(bytes32 streamId) external view returns (uint64);

    /// @notice The gateway that committed a stream's windows so far.
    /// @param streamId The stream.
    /// @return The gateway; the zero address for a stream without windows.
    function gatewayOf(bytes32 streamId) external view returns (address);

    /// @notice The largest batch {commitWindows} accepts.
    /// @return The size.
    function MAX_BATCH() external view returns (uint256);

    /// @notice The largest step from one committed window index to the next (a visible gap of up
    /// to this many withheld windows is allowed; a larger jump is refused).
    function MAX_INDEX_GAP() external view returns (uint64);

    /// @notice The implementation's semantic version.
    /// @return The version string.
    function version() external pure returns (string memory);
}
