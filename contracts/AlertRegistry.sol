// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAlertRegistry} from "./interfaces/IAlertRegistry.sol";
import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";

/// @title AlertRegistry
/// @notice An on-chain log of zk-verified anomaly alerts, one hash chain per stream.
contract AlertRegistry is IAlertRegistry {
    /// @dev The BN254 scalar field modulus r; EZKL instances are elements of this field.
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev Storage form of {IAlertRegistry.Model}: verifier, windowsPerProof and registeredAt
    /// share one slot, so a submission reads two slots rather than three.
    struct ModelRecord {
        address verifier;
        uint32 windowsPerProof;
        uint64 registeredAt;
        uint256 threshold;
    }

    /// @dev A stream's chain state. The head fills its slot; count and the bound gateway share the
    /// next one, so binding a stream costs no extra storage slot.
    struct Stream {
        bytes32 head;
        uint64 count;
        address gateway;
    }

    address private _owner;
    mapping(bytes32 modelId => ModelRecord record) private _models;
    mapping(address gateway => bool allowed) private _gateways;
    mapping(bytes32 streamId => Stream stream) private _streams;
    mapping(bytes32 streamId => mapping(uint64 seq => bytes32 alertHash)) private _alertHashes;
    /// @dev A recorded statement maps to the alert hash it was recorded under (never zero).
    mapping(bytes32 statement => bytes32 alertHash) private _statements;
    /// @dev The model each verifier code hash is registered under: one circuit, one model.
    mapping(bytes32 codehash => bytes32 modelId) private _verifierModels;

    modifier onlyOwner() {
        if (msg.sender != _owner) revert AlertRegistryUnauthorized(msg.sender);
        _;
    }

    /// @param initialOwner The account allowed to register models and gateways.
    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert AlertRegistryInvalidOwner(address(0));
        _owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    // ---------------------------------------------------------------- owner

    /// @inheritdoc IAlertRegistry
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert AlertRegistryInvalidOwner(address(0));
        address previousOwner = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previousOwner, newOwner);
    }

    /// @inheritdoc IAlertRegistry
    function registerModel(bytes32 modelId, address verifier, uint256 threshold, uint32 windowsPerProof)
        external
        onlyOwner
    {
        if (modelId == bytes32(0)) revert AlertRegistryInvalidModelId(modelId);
        // code.length is also 0 for address(0)
        if (verifier.code.length == 0) revert AlertRegistryInvalidVerifier(verifier);
        if (windowsPerProof == 0) revert AlertRegistryInvalidWindowsPerProof(windowsPerProof);
        if (_models[modelId].verifier != address(0)) revert AlertRegistryModelExists(modelId);
        // EZKL verifiers embed their verifying key, so equal code means the same circuit: a second
        // model id for it would let one proof be recorded twice, under two thresholds.
        bytes32 codehash = verifier.codehash;
        bytes32 existing = _verifierModels[codehash];
        if (existing != bytes32(0)) revert AlertRegistryVerifierInUse(verifier, existing);
        _verifierModels[codehash] = modelId;

        _models[modelId] = ModelRecord({
            verifier: verifier,
            windowsPerProof: windowsPerProof,
            registeredAt: uint64(block.number),
            threshold: threshold
        });
        emit ModelRegistered(modelId, verifier, threshold, windowsPerProof);
    }

    /// @inheritdoc IAlertRegistry
    function setGateway(address gateway, bool allowed) external onlyOwner {
        _gateways[gateway] = allowed;
        emit GatewaySet(gateway, allowed);
    }

    /// @inheritdoc IAlertRegistry
    function setStreamGateway(bytes32 streamId, address gateway) external onlyOwner {
        address previousGateway = _streams[streamId].gateway;
        _streams[streamId].gateway = gateway;
        emit StreamGatewaySet(streamId, previousGateway, gateway);
    }

    // ---------------------------------------------------------------- gateways

    /// @inheritdoc IAlertRegistry
    function submitAlert(
        bytes32 streamId,
        bytes32 modelId,
        bytes32 prevHash,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (bytes32 newHead) {
        if (!_gateways[msg.sender]) revert AlertRegistryUnknownGateway(msg.sender);

        ModelRecord memory record = _models[modelId];
        if (record.verifier == address(0)) revert AlertRegistryUnknownModel(modelId);

        uint256 windows = record.windowsPerProof;
        if (instances.length != 2 * windows) {
            revert AlertRegistryInstanceCount(2 * windows, instances.length);
        }
        for (uint256 i; i < instances.length; ++i) {
            if (instances[i] >= FIELD_MODULUS) revert AlertRegistryInstanceOutOfField(i, instances[i]);
        }

        Stream memory stream = _streams[streamId];
        if (stream.gateway != address(0) && stream.gateway != msg.sender) {
            revert AlertRegistryStreamGateway(streamId, stream.gateway, msg.sender);
        }
        if (prevHash != stream.head) revert AlertRegistryStalePrevHash(stream.head, prevHash);

        // Cheap rejection of replays before paying for verification; duplicates inside this batch
        // are caught again when the statements are written below.
        for (uint256 i; i < windows; ++i) {
            bytes32 statement = _statementOf(modelId, instances[i], instances[windows + i]);
            if (_statements[statement] != bytes32(0)) revert AlertRegistryReplay(statement);
        }

        if (!_verify(record.verifier, proof, instances)) revert AlertRegistryInvalidProof(modelId);

        newHead = stream.head;
        uint64 seq = stream.count;
        for (uint256 i; i < windows; ++i) {
            newHead =
                _recordWindow(streamId, modelId, record.threshold, newHead, seq, instances[i], instances[windows + i]);
            ++seq;
        }
        // the first alert binds the stream to its submitter (a bound stream keeps its gateway)
        _streams[streamId] = Stream({head: newHead, count: seq, gateway: msg.sender});
    }

    /// @dev True only when the verifier returns exactly `true`. STATICCALL: a verifier cannot
    /// re-enter or change state. `abi.encodeCall` re-encodes proof and instances canonically, which
    /// matters because EZKL's generated verifier reads parts of the proof at fixed calldata offsets
    /// that hold only for the canonical layout (the registry's own caller may encode as it likes).
    function _verify(address verifier, bytes calldata proof, uint256[] calldata instances)
        private
        view
        returns (bool valid)
    {
        (bool success, bytes memory result) =
            verifier.staticcall(abi.encodeCall(IHalo2Verifier.verifyProof, (proof, instances)));
        valid = success && result.length == 32 && abi.decode(result, (uint256)) == 1;
    }

    /// @dev Appends one window's alert after `prevHead` and returns its alert hash.
    function _recordWindow(
        bytes32 streamId,
        bytes32 modelId,
        uint256 threshold,
        bytes32 prevHead,
        uint64 seq,
        uint256 inputCommitment,
        uint256 score
    ) private returns (bytes32 alertHash) {
        bytes32 statement = _statementOf(modelId, inputCommitment, score);
        if (_statements[statement] != bytes32(0)) revert AlertRegistryReplay(statement);

        bool alarm = score >= threshold;
        alertHash = keccak256(abi.encode(prevHead, streamId, seq, modelId, msg.sender, inputCommitment, score, alarm));
        _alertHashes[streamId][seq] = alertHash;
        _statements[statement] = alertHash;
        emit AlertRecorded(streamId, seq, modelId, alertHash, prevHead, msg.sender, inputCommitment, score, alarm);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAlertRegistry
    function owner() external view returns (address) {
        return _owner;
    }

    /// @inheritdoc IAlertRegistry
    function model(bytes32 modelId) external view returns (Model memory) {
        ModelRecord storage record = _models[modelId];
        return Model({
            verifier: record.verifier,
            threshold: record.threshold,
            windowsPerProof: record.windowsPerProof,
            registeredAt: record.registeredAt
        });
    }

    /// @inheritdoc IAlertRegistry
    function isGateway(address gateway) external view returns (bool) {
        return _gateways[gateway];
    }

    /// @inheritdoc IAlertRegistry
    function streamGateway(bytes32 streamId) external view returns (address) {
        return _streams[streamId].gateway;
    }

    /// @inheritdoc IAlertRegistry
    function head(bytes32 streamId) external view returns (bytes32) {
        return _streams[streamId].head;
    }

    /// @inheritdoc IAlertRegistry
    function count(bytes32 streamId) external view returns (uint64) {
        return _streams[streamId].count;
    }

    /// @inheritdoc IAlertRegistry
    function alertHashAt(bytes32 streamId, uint64 seq) external view returns (bytes32) {
        uint64 streamCount = _streams[streamId].count;
        if (seq >= streamCount) revert AlertRegistrySeqOutOfRange(streamId, seq, streamCount);
        return _alertHashes[streamId][seq];
    }

    /// @inheritdoc IAlertRegistry
    function isRecorded(bytes32 statement) external view returns (bool) {
        return _statements[statement] != bytes32(0);
    }

    /// @inheritdoc IAlertRegistry
    function alertHashOf(bytes32 statement) external view returns (bytes32) {
        return _statements[statement];
    }

    /// @inheritdoc IAlertRegistry
    function statementOf(bytes32 modelId, uint256 inputCommitment, uint256 score) external pure returns (bytes32) {
        return _statementOf(modelId, inputCommitment, score);
    }

    /// @inheritdoc IAlertRegistry
    function version() external pure returns (string memory) {
        return "0.2.0";
    }

    function _statementOf(bytes32 modelId, uint256 inputCommitment, uint256 score) private pure returns (bytes32) {
        return keccak256(abi.encode(modelId, inputCommitment, score));
    }
}
