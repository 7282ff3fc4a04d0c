// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITimeSeriesRegistry} from "./interfaces/ITimeSeriesRegistry.sol";
import {BN254} from "./utils/BN254.sol";
import {Owned2Step} from "./utils/Owned2Step.sol";
import {VerifierCall} from "./utils/VerifierCall.sol";

/// @title TimeSeriesRegistry
/// @notice Companion of AlertRegistry for time-series mode: chained TC proofs and per-window SC
/// proofs of an EKF detector, with the hash linkage enforced on-chain.
contract TimeSeriesRegistry is ITimeSeriesRegistry, Owned2Step {
    uint256 internal constant TC_INSTANCES = 7;
    uint256 internal constant SC_INSTANCES = 5;
    // TC instance positions
    uint256 internal constant TC_STATE_IN = 0;
    uint256 internal constant TC_ACC_IN = 1;
    uint256 internal constant TC_BLOCK = 2;
    uint256 internal constant TC_RESET = 3;
    uint256 internal constant TC_STATE_OUT = 4;
    uint256 internal constant TC_ACC_OUT = 5;
    uint256 internal constant TC_KRC_OK = 6;
    // SC instance positions
    uint256 internal constant SC_ACC_END = 0;
    uint256 internal constant SC_ADVICE = 1;
    uint256 internal constant SC_T2 = 2;
    uint256 internal constant SC_ALARM = 3;
    uint256 internal constant SC_SVD_OK = 4;

    uint8 internal constant KIND_TC = 0;
    uint8 internal constant KIND_SC = 1;

    mapping(address gateway => bool allowed) private _gateways;
    mapping(bytes32 modelId => Model model) private _models;
    mapping(bytes32 streamId => Stream stream) private _streams;
    mapping(bytes32 streamId => mapping(uint64 windowIndex => Window window)) private _windows;
    /// @dev The stream each state belongs to: its genesis states and every state it recorded. A
    /// state belongs to one stream only, so a proof of one stream never continues another (two
    /// streams opened from the same genesis would accept each other's proofs), and a proof
    /// starting from a state its stream moved past is stale.
    mapping(uint256 stateHash => bytes32 streamId) private _stateStreams;
    /// @dev keccak256(instances) of every recorded TC proof, whatever its model or stream.
    mapping(bytes32 statement => bool recorded) private _statements;
    /// @dev The model each TC verifier code hash serves: one TC circuit, one model.
    mapping(bytes32 codehash => bytes32 modelId) private _tcModels;
    /// @dev keccak256(newModelId, genesisState, genesisAcc) of the owner's pending approval.
    mapping(bytes32 streamId => bytes32 approval) private _rotationApprovals;

    /// @param initialOwner The account allowed to register models and gateways (the regulator).
    constructor(address initialOwner) Owned2Step(initialOwner) {}

    // ---------------------------------------------------------------- owner

    function _revertNotOwner(address caller) internal pure override {
        revert TimeSeriesRegistryUnauthorized(caller);
    }

    function _revertNotPendingOwner(address caller, address pending) internal pure override {
        revert TimeSeriesRegistryNotPendingOwner(caller, pending);
    }

    function _revertInvalidOwner(address newOwner) internal pure override {
        revert TimeSeriesRegistryInvalidOwner(newOwner);
    }

    /// @inheritdoc ITimeSeriesRegistry
    function registerModel(bytes32 modelId, Model calldata params) external onlyOwner {
        if (params.tcVerifier.code.length == 0) revert TimeSeriesRegistryInvalidVerifier(params.tcVerifier);
        if (params.scVerifier.code.length == 0) revert TimeSeriesRegistryInvalidVerifier(params.scVerifier);
        if (params.tcSrs == bytes32(0)) revert TimeSeriesRegistryInvalidSrs(params.tcVerifier);
        if (params.scSrs == bytes32(0)) revert TimeSeriesRegistryInvalidSrs(params.scVerifier);
        if (params.stepsPerInterval == 0 || params.intervalsPerWindow == 0) {
            revert TimeSeriesRegistryInvalidShape(params.stepsPerInterval, params.intervalsPerWindow);
        }
        if (_models[modelId].tcVerifier != address(0)) revert TimeSeriesRegistryModelExists(modelId);
        bytes32 tcCodehash = params.tcVerifier.codehash;
        bytes32 existing = _tcModels[tcCodehash];
        if (existing != bytes32(0)) revert TimeSeriesRegistryVerifierInUse(params.tcVerifier, existing);
        _tcModels[tcCodehash] = modelId;

        Model memory record = params;
        record.tcCodehash = tcCodehash;
        record.scCodehash = params.scVerifier.codehash;
        record.registeredAt = uint64(block.number);
        _models[modelId] = record;
        emit ModelRegistered(
            modelId,
            record.tcVerifier,
            record.scVerifier,
            record.tcCodehash,
            record.scCodehash,
            record.stepsPerInterval,
            record.intervalsPerWindow,
            record.tcSrs,
            record.scSrs
        );
    }

    /// @inheritdoc ITimeSeriesRegistry
    function setGateway(address gateway, bool allowed) external onlyOwner {
        _gateways[gateway] = allowed;
        emit GatewaySet(gateway, allowed);
    }

    /// @inheritdoc ITimeSeriesRegistry
    function openStream(bytes32 streamId, bytes32 modelId, address gateway, uint256 genesisState, uint256 genesisAcc)
        external
        onlyOwner
    {
        if (streamId == bytes32(0)) revert TimeSeriesRegistryInvalidStream(streamId);
        if (!_gateways[gateway]) revert TimeSeriesRegistryInvalidGateway(gateway);
        if (_streams[streamId].gateway != address(0)) revert TimeSeriesRegistryStreamExists(streamId);
        if (_models[modelId].tcVerifier == address(0)) revert TimeSeriesRegistryUnknownModel(modelId);
        _checkField(0, genesisState);
        _checkField(1, genesisAcc);
        _requireUnheld(streamId, genesisState);
        _stateStreams[genesisState] = streamId;

        Stream storage s = _streams[streamId];
        s.modelId = modelId;
        s.gateway = gateway;
        s.stateHead = genesisState;
        s.accHead = genesisAcc;
        emit StreamOpened(streamId, modelId, gateway, genesisState, genesisAcc);
    }

    /// @inheritdoc ITimeSeriesRegistry
    function setStreamGateway(bytes32 streamId, address gateway) external onlyOwner {
        Stream storage s = _openStream(streamId);
        if (!_gateways[gateway]) revert TimeSeriesRegistryInvalidGateway(gateway);
        address previousGateway = s.gateway;
        s.gateway = gateway;
        emit StreamGatewaySet(streamId, previousGateway, gateway);
    }

    /// @inheritdoc ITimeSeriesRegistry
    function approveRotation(bytes32 streamId, bytes32 newModelId, uint256 genesisState, uint256 genesisAcc)
        external
        onlyOwner
    {
        Stream storage s = _openStream(streamId);
        _checkRotation(s, streamId, newModelId, genesisState, genesisAcc);
        _rotationApprovals[streamId] = _rotationKey(newModelId, genesisState, genesisAcc);
        emit RotationApproved(streamId, newModelId, genesisState, genesisAcc);
    }

    // ---------------------------------------------------------------- gateways

    /// @inheritdoc ITimeSeriesRegistry
    function rotateModel(bytes32 streamId, bytes32 newModelId, uint256 genesisState, uint256 genesisAcc) external {
        Stream storage s = _ownedStream(streamId);
        if (_rotationApprovals[streamId] != _rotationKey(newModelId, genesisState, genesisAcc)) {
            revert TimeSeriesRegistryRotationNotApproved(streamId, newModelId, genesisState, genesisAcc);
        }
        // checked again: the stream may have moved past the approved genesis since the approval
        _checkRotation(s, streamId, newModelId, genesisState, genesisAcc);
        uint64 windowsClosed = _windowsClosed(s);
        uint32 perWindow = _models[s.modelId].intervalsPerWindow;
        if ((s.intervals - s.firstInterval) % perWindow != 0 || s.windowsRecorded != s.firstWindow + windowsClosed) {
            revert TimeSeriesRegistryRotationNotAtBoundary(streamId, s.intervals, s.windowsRecorded);
        }

        delete _rotationApprovals[streamId];
        bytes32 oldModelId = s.modelId;
        _stateStreams[genesisState] = streamId; // unheld: checked in _checkRotation
        s.modelId = newModelId;
        s.firstWindow += windowsClosed;
        s.firstInterval = s.intervals;
        s.stateHead = genesisState;
        s.accHead = genesisAcc;
        emit ModelRotated(streamId, oldModelId, newModelId, s.intervals, genesisState, genesisAcc);
    }

    /// @dev A rotation must lead to another registered model and to a genesis no stream has held:
    /// never back to a state this stream moved past, nor a restart from its current head, nor a
    /// state of another stream.
    function _checkRotation(
        Stream storage s,
        bytes32 streamId,
        bytes32 newModelId,
        uint256 genesisState,
        uint256 genesisAcc
    ) private view {
        if (_models[newModelId].tcVerifier == address(0)) revert TimeSeriesRegistryUnknownModel(newModelId);
        if (newModelId == s.modelId) revert TimeSeriesRegistrySameModel(streamId, newModelId);
        _checkField(0, genesisState);
        _checkField(1, genesisAcc);
        if (_stateStreams[genesisState] == streamId) revert TimeSeriesRegistryGenesisStale(streamId, genesisState);
        _requireUnheld(streamId, genesisState);
    }

    /// @dev Refuses a state some stream holds already (for `streamId`, which wants it).
    function _requireUnheld(bytes32 streamId, uint256 state) private view {
        bytes32 holder = _stateStreams[state];
        if (holder != bytes32(0)) revert TimeSeriesRegistryStateInUse(streamId, state, holder);
    }

    function _rotationKey(bytes32 newModelId, uint256 genesisState, uint256 genesisAcc)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(newModelId, genesisState, genesisAcc));
    }

    /// @inheritdoc ITimeSeriesRegistry
    function submitInterval(bytes32 streamId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 logHash)
    {
        Stream storage s = _ownedStream(streamId);
        _checkInstances(instances, TC_INSTANCES);
        bytes32 statement = _checkInterval(s, streamId, instances);
        _verify(s.modelId, KIND_TC, proof, instances);
        _statements[statement] = true;
        logHash = _recordInterval(s, streamId, instances);
    }

    /// @dev Everything about a TC submission that can be refused before verification, cheapest
    /// first; returns its statement.
    function _checkInterval(Stream storage s, bytes32 streamId, uint256[] calldata instances)
        private
        view
        returns (bytes32 statement)
    {
        Model storage m = _models[s.modelId];
        statement = keccak256(abi.encode(instances));
        if (_statements[statement]) revert TimeSeriesRegistryReplay(statement);

        uint64 interval = s.intervals;
        uint256 stateIn = instances[TC_STATE_IN];
        if (stateIn != s.stateHead) {
            if (_stateStreams[stateIn] == streamId) {
                revert TimeSeriesRegistryStaleState(streamId, interval, s.stateHead, stateIn);
            }
            revert TimeSeriesRegistryStateLinkBroken(streamId, interval, s.stateHead, stateIn);
        }
        if (instances[TC_ACC_IN] != s.accHead) {
            revert TimeSeriesRegistryAccLinkBroken(streamId, interval, s.accHead, instances[TC_ACC_IN]);
        }
        uint256 expectedReset =
            (interval - s.firstInterval) % m.intervalsPerWindow == 0 ? m.resetCommitment : m.continueCommitment;
        if (instances[TC_RESET] != expectedReset) {
            revert TimeSeriesRegistryResetMismatch(streamId, interval, expectedReset, instances[TC_RESET]);
        }
        if (instances[TC_KRC_OK] != m.krcPassCommitment) {
            revert TimeSeriesRegistryKrcCheckFailed(streamId, interval, instances[TC_KRC_OK]);
        }
        _requireUnheld(streamId, instances[TC_STATE_OUT]);
    }

    /// @dev Moves the stream's heads to the interval's outputs, closes its window if it was the
    /// window's last interval, and extends the log.
    function _recordInterval(Stream storage s, bytes32 streamId, uint256[] calldata instances)
        private
        returns (bytes32 logHash)
    {
        bytes32 modelId = s.modelId;
        uint64 interval = s.intervals;
        uint64 perWindow = _models[modelId].intervalsPerWindow;
        _stateStreams[instances[TC_STATE_OUT]] = streamId; // unheld: checked in _checkInterval
        s.stateHead = instances[TC_STATE_OUT];
        s.accHead = instances[TC_ACC_OUT];
        s.intervals = interval + 1;
        if ((interval - s.firstInterval) % perWindow + 1 == perWindow) {
            Window storage w = _windows[streamId][s.firstWindow + (interval - s.firstInterval) / perWindow];
            w.closed = true;
            w.accEnd = instances[TC_ACC_OUT];
            w.modelId = modelId;
        }
        logHash = keccak256(abi.encode(s.logHead, KIND_TC, streamId, interval, modelId, instances));
        s.logHead = logHash;
        emit IntervalRecorded(
            streamId,
            interval,
            modelId,
            instances[TC_STATE_IN],
            instances[TC_STATE_OUT],
            instances[TC_ACC_OUT],
            instances[TC_BLOCK],
            logHash
        );
    }

    /// @inheritdoc ITimeSeriesRegistry
    function submitWindow(bytes32 streamId, uint64 windowIndex, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 logHash)
    {
        Stream storage s = _ownedStream(streamId);
        _checkInstances(instances, SC_INSTANCES);
        Window storage w = _windows[streamId][windowIndex];
        if (!w.closed) revert TimeSeriesRegistryWindowOpen(streamId, windowIndex, s.intervals);
        if (w.recorded) revert TimeSeriesRegistryWindowRecorded(streamId, windowIndex);
        if (instances[SC_ACC_END] != w.accEnd) {
            revert TimeSeriesRegistryResidualsNotFromChain(streamId, windowIndex, w.accEnd, instances[SC_ACC_END]);
        }
        if (instances[SC_SVD_OK] != 1) {
            revert TimeSeriesRegistrySvdCheckFailed(streamId, windowIndex, instances[SC_SVD_OK]);
        }
        uint256 alarmValue = instances[SC_ALARM];
        if (alarmValue > 1) revert TimeSeriesRegistryAlarmNotBoolean(streamId, windowIndex, alarmValue);

        bytes32 modelId = w.modelId;
        _verify(modelId, KIND_SC, proof, instances);

        w.recorded = true;
        w.alarm = alarmValue == 1;
        w.t2 = instances[SC_T2];
        s.windowsRecorded += 1;
        logHash = keccak256(abi.encode(s.logHead, KIND_SC, streamId, windowIndex, modelId, instances));
        s.logHead = logHash;
        emit WindowRecorded(streamId, windowIndex, modelId, instances[SC_T2], alarmValue == 1, logHash);
    }

    // ---------------------------------------------------------------- internals

    /// @dev The stream, if it exists and the caller is its gateway (and still an allowed one).
    function _ownedStream(bytes32 streamId) private view returns (Stream storage s) {
        s = _openStream(streamId);
        if (s.gateway != msg.sender || !_gateways[msg.sender]) revert TimeSeriesRegistryUnknownGateway(msg.sender);
    }

    /// @dev The stream, if the owner has opened it.
    function _openStream(bytes32 streamId) private view returns (Stream storage s) {
        s = _streams[streamId];
        if (s.gateway == address(0)) revert TimeSeriesRegistryUnknownStream(streamId);
    }

    function _windowsClosed(Stream storage s) private view returns (uint64) {
        return (s.intervals - s.firstInterval) / _models[s.modelId].intervalsPerWindow;
    }

    function _checkInstances(uint256[] calldata instances, uint256 expected) private pure {
        if (instances.length != expected) revert TimeSeriesRegistryInstanceCount(expected, instances.length);
        for (uint256 i; i < expected; ++i) {
            _checkField(i, instances[i]);
        }
    }

    function _checkField(uint256 index, uint256 value) private pure {
        if (value >= BN254.FIELD_MODULUS) revert TimeSeriesRegistryInstanceOutOfField(index, value);
    }

    /// @dev Key invariance first (the verifier's code, and so its embedded key, is the registered
    /// one), then the proof, called as AlertRegistry calls it ({VerifierCall.verifies}: STATICCALL,
    /// canonical re-encoding, only a returned 1 counts).
    function _verify(bytes32 modelId, uint8 kind, bytes calldata proof, uint256[] calldata instances) private view {
        Model storage m = _models[modelId];
        (address verifier, bytes32 codehash) =
            kind == KIND_TC ? (m.tcVerifier, m.tcCodehash) : (m.scVerifier, m.scCodehash);
        bytes32 current = verifier.codehash;
        if (current != codehash) revert TimeSeriesRegistryVerifierChanged(modelId, verifier, codehash, current);
        if (!VerifierCall.verifies(verifier, proof, instances)) revert TimeSeriesRegistryInvalidProof(modelId, kind);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ITimeSeriesRegistry
    function isGateway(address gateway) external view returns (bool) {
        return _gateways[gateway];
    }

    /// @inheritdoc ITimeSeriesRegistry
    function model(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc ITimeSeriesRegistry
    function pendingRotation(bytes32 streamId) external view returns (bytes32) {
        return _rotationApprovals[streamId];
    }

    /// @inheritdoc ITimeSeriesRegistry
    function stream(bytes32 streamId) external view returns (Stream memory) {
        return _streams[streamId];
    }

    /// @inheritdoc ITimeSeriesRegistry
    function window(bytes32 streamId, uint64 windowIndex) external view returns (Window memory) {
        return _windows[streamId][windowIndex];
    }

    /// @inheritdoc ITimeSeriesRegistry
    function stateHolder(uint256 state) external view returns (bytes32) {
        return _stateStreams[state];
    }

    /// @inheritdoc ITimeSeriesRegistry
    function version() external pure returns (string memory) {
        return "0.5.0";
    }
}
