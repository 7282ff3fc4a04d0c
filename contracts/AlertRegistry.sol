// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAlertRegistry} from "./interfaces/IAlertRegistry.sol";
import {BN254} from "./utils/BN254.sol";
import {Owned2Step} from "./utils/Owned2Step.sol";
import {VerifierCall} from "./utils/VerifierCall.sol";

/// @title AlertRegistry
/// @notice An on-chain log of zk-verified anomaly alerts, one hash chain per stream.
contract AlertRegistry is IAlertRegistry, Owned2Step {
    /// @dev Storage form of {IAlertRegistry.Model}: verifier, windowsPerProof, registeredAt and the
    /// commitment scheme share one slot, so a submission reads two slots rather than three.
    struct ModelRecord {
        address verifier;
        uint32 windowsPerProof;
        uint56 registeredAt;
        CommitmentScheme commitment;
        uint256 threshold;
    }

    /// @inheritdoc IAlertRegistry
    uint64 public constant MAX_INDEX_GAP = 2 ** 32;

    /// @inheritdoc IAlertRegistry
    uint256 public constant BINDING_LIMBS = 5;

    /// @inheritdoc IAlertRegistry
    uint256 public constant BINDING_LIMB_BITS = 28;

    /// @dev 2^28 - 1: one limb of a binding.
    uint256 internal constant LIMB_MASK = (1 << BINDING_LIMB_BITS) - 1;

    /// @dev A stream's chain state. The head fills its slot; count, the next window index and the
    /// bound gateway share the next one (a stream of 2^32 alerts is centuries of windows).
    struct Stream {
        bytes32 head;
        uint32 count;
        uint64 nextIndex;
        address gateway;
    }

    /// @dev What every window of one submission shares.
    struct Batch {
        bytes32 streamId;
        bytes32 modelId;
        uint256 threshold;
        uint64 firstIndex;
        bytes32 head;
        uint32 count;
    }

    mapping(bytes32 modelId => ModelRecord record) private _models;
    mapping(address gateway => bool allowed) private _gateways;
    mapping(bytes32 streamId => Stream stream) private _streams;
    /// @dev One record per proof: the alert hash of its last window, under its first window index.
    /// The windows before it are in the events, and the hash chain ties them to this record.
    mapping(bytes32 streamId => mapping(uint64 firstIndex => bytes32 lastAlertHash)) private _proofs;
    /// @dev The model each verifier code hash is registered under: one circuit, one model.
    mapping(bytes32 codehash => bytes32 modelId) private _verifierModels;
    /// @dev Each model's SRS id, apart from {ModelRecord} so a submission does not read it.
    mapping(bytes32 modelId => bytes32 srs) private _modelSrs;

    /// @param initialOwner The account allowed to register models and gateways.
    constructor(address initialOwner) Owned2Step(initialOwner) {}

    // ---------------------------------------------------------------- owner

    function _revertNotOwner(address caller) internal pure override {
        revert AlertRegistryUnauthorized(caller);
    }

    function _revertNotPendingOwner(address caller, address pending) internal pure override {
        revert AlertRegistryNotPendingOwner(caller, pending);
    }

    function _revertInvalidOwner(address newOwner) internal pure override {
        revert AlertRegistryInvalidOwner(newOwner);
    }

    /// @inheritdoc IAlertRegistry
    function registerModel(
        bytes32 modelId,
        address verifier,
        uint256 threshold,
        uint32 windowsPerProof,
        CommitmentScheme commitment,
        bytes32 srs
    ) external onlyOwner {
        if (modelId == bytes32(0)) revert AlertRegistryInvalidModelId(modelId);
        if (srs == bytes32(0)) revert AlertRegistryInvalidSrs(srs);
        // code.length is also 0 for address(0)
        if (verifier.code.length == 0) revert AlertRegistryInvalidVerifier(verifier);
        if (windowsPerProof == 0) revert AlertRegistryInvalidWindowsPerProof(windowsPerProof);
        if (threshold >= BN254.FIELD_MODULUS) revert AlertRegistryUnreachableThreshold(threshold);
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
            // forge-lint: disable-next-line(unsafe-typecast)
            registeredAt: uint56(block.number),
            commitment: commitment,
            threshold: threshold
        });
        _modelSrs[modelId] = srs;
        emit ModelRegistered(modelId, verifier, threshold, windowsPerProof, commitment, srs);
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
        uint64 firstIndex,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (bytes32 newHead) {
        if (!_gateways[msg.sender]) revert AlertRegistryUnknownGateway(msg.sender);

        ModelRecord memory record = _models[modelId];
        if (record.verifier == address(0)) revert AlertRegistryUnknownModel(modelId);

        (uint256[] memory commitments, uint256[] calldata scores) = _splitInstances(record, proof, instances);
        Batch memory batch = _openBatch(streamId, modelId, prevHash, firstIndex, record.threshold);
        // Every window's commitment covers its binding, so a statement can be recorded once only:
        // at its own index, which the stream has then passed. No per-statement storage is needed.
        _checkBindings(batch, instances[instances.length - BINDING_LIMBS * scores.length:]);

        // key invariance: the verifier still has the code registered under this model
        bytes32 codehash = record.verifier.codehash;
        if (_verifierModels[codehash] != modelId) {
            revert AlertRegistryVerifierChanged(modelId, record.verifier, codehash);
        }
        // STATICCALL, canonical re-encoding, only a returned 1 counts
        if (!VerifierCall.verifies(record.verifier, proof, instances)) revert AlertRegistryInvalidProof(modelId);

        newHead = _appendWindows(batch, commitments, scores);
    }

    /// @dev Loads the stream and checks that the caller may extend it from `prevHash` with windows
    /// from `firstIndex` on (strictly increasing indexes, bounded skip).
    function _openBatch(bytes32 streamId, bytes32 modelId, bytes32 prevHash, uint64 firstIndex, uint256 threshold)
        private
        view
        returns (Batch memory batch)
    {
        Stream memory stream = _streams[streamId];
        if (stream.gateway != msg.sender) {
            if (stream.gateway == address(0)) revert AlertRegistryStreamNotOpen(streamId);
            revert AlertRegistryStreamGateway(streamId, stream.gateway, msg.sender);
        }
        if (prevHash != stream.head) revert AlertRegistryStalePrevHash(stream.head, prevHash);
        uint64 next = stream.nextIndex;
        if (firstIndex < next) revert AlertRegistryIndexNotIncreasing(streamId, next, firstIndex);
        if (firstIndex - next > MAX_INDEX_GAP) revert AlertRegistryIndexGap(streamId, next, firstIndex, MAX_INDEX_GAP);
        batch = Batch({
            streamId: streamId,
            modelId: modelId,
            threshold: threshold,
            firstIndex: firstIndex,
            head: stream.head,
            count: stream.count
        });
    }

    /// @dev Each window's proof is bound to the caller, this stream and the window's index: window
    /// i's BINDING_LIMBS limbs, low limb first, are those of {bindingOf}.
    function _checkBindings(Batch memory batch, uint256[] calldata limbs) private view {
        uint256 windows = limbs.length / BINDING_LIMBS;
        for (uint256 i; i < windows; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 expected = _bindingOf(msg.sender, batch.streamId, batch.firstIndex + uint64(i));
            uint256 got;
            bool same = true;
            for (uint256 k; k < BINDING_LIMBS; ++k) {
                uint256 limb = limbs[BINDING_LIMBS * i + k];
                same = same && limb == (expected >> (BINDING_LIMB_BITS * k)) & LIMB_MASK;
                // only reported in the error: wraps for limbs no honest proof has, never reverts
                unchecked {
                    got += limb << (BINDING_LIMB_BITS * k);
                }
            }
            if (!same) revert AlertRegistryBindingMismatch(i, expected, got);
        }
    }

    /// @dev Appends the verified windows in order, records the proof's last alert hash under its
    /// first index and stores the stream's new head, count and next index (the stream keeps the
    /// gateway the owner opened it for, who is the caller).
    function _appendWindows(Batch memory batch, uint256[] memory commitments, uint256[] calldata scores)
        private
        returns (bytes32 newHead)
    {
        newHead = batch.head;
        uint32 seq = batch.count;
        for (uint256 i; i < scores.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            newHead = _recordWindow(batch, newHead, seq, batch.firstIndex + uint64(i), commitments[i], scores[i]);
            ++seq;
        }
        _proofs[batch.streamId][batch.firstIndex] = newHead;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 next = batch.firstIndex + uint64(scores.length);
        _streams[batch.streamId] = Stream({head: newHead, count: seq, nextIndex: next, gateway: msg.sender});
    }

    /// @dev Checks the instances against the model and splits the statement into each window's
    /// input commitment and score. Under both schemes the instances end with the B scores, then
    /// the B windows' binding limbs (BINDING_LIMBS each).
    function _splitInstances(ModelRecord memory record, bytes calldata proof, uint256[] calldata instances)
        private
        pure
        returns (uint256[] memory commitments, uint256[] calldata scores)
    {
        uint256 windows = record.windowsPerProof;
        bool kzg = record.commitment == CommitmentScheme.Kzg;
        uint256 perWindow = kzg ? 1 + BINDING_LIMBS : 2 + BINDING_LIMBS;
        uint256 expected = perWindow * windows;
        if (instances.length != expected) revert AlertRegistryInstanceCount(expected, instances.length);
        for (uint256 i; i < instances.length; ++i) {
            if (instances[i] >= BN254.FIELD_MODULUS) revert AlertRegistryInstanceOutOfField(i, instances[i]);
        }
        uint256 scoresEnd = expected - BINDING_LIMBS * windows;
        scores = instances[scoresEnd - windows:scoresEnd];
        commitments = kzg ? _kzgCommitments(proof, windows) : _poseidonCommitments(instances, windows);
    }

    /// @dev Window i's input commitment under {CommitmentScheme.Kzg}: keccak256 of the proof's i-th
    /// G1 point. EZKL writes the commitments of the unblinded input columns first, in input order,
    /// each as 32-byte big-endian x then y; the verifier checks the proof against exactly these
    /// points, so they are bound to the proven windows.
    function _kzgCommitments(bytes calldata proof, uint256 windows)
        private
        pure
        returns (uint256[] memory commitments)
    {
        if (proof.length < 64 * windows) {
            revert AlertRegistryProofTooShort(64 * windows, proof.length);
        }
        commitments = new uint256[](windows);
        for (uint256 i; i < windows; ++i) {
            commitments[i] = uint256(keccak256(proof[64 * i:64 * i + 64]));
        }
    }

    /// @dev Under {CommitmentScheme.Poseidon} the first B instances are the windows' commitments.
    function _poseidonCommitments(uint256[] calldata instances, uint256 windows)
        private
        pure
        returns (uint256[] memory commitments)
    {
        commitments = new uint256[](windows);
        for (uint256 i; i < windows; ++i) {
            commitments[i] = instances[i];
        }
    }

    /// @dev Appends one window's alert after `prevHead` (an event, no storage) and returns its alert
    /// hash.
    function _recordWindow(
        Batch memory batch,
        bytes32 prevHead,
        uint64 seq,
        uint64 windowIndex,
        uint256 inputCommitment,
        uint256 score
    ) private returns (bytes32 alertHash) {
        bool alarm = score >= batch.threshold;
        alertHash = keccak256(
            abi.encode(
                prevHead, batch.streamId, seq, windowIndex, batch.modelId, msg.sender, inputCommitment, score, alarm
            )
        );
        emit AlertRecorded(
            batch.streamId,
            seq,
            batch.modelId,
            windowIndex,
            alertHash,
            prevHead,
            msg.sender,
            inputCommitment,
            score,
            alarm
        );
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAlertRegistry
    function model(bytes32 modelId) external view returns (Model memory) {
        ModelRecord storage record = _models[modelId];
        return Model({
            verifier: record.verifier,
            threshold: record.threshold,
            windowsPerProof: record.windowsPerProof,
            registeredAt: record.registeredAt,
            commitment: record.commitment,
            srs: _modelSrs[modelId]
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
    function nextIndex(bytes32 streamId) external view returns (uint64) {
        return _streams[streamId].nextIndex;
    }

    /// @inheritdoc IAlertRegistry
    function bindingOf(address gateway, bytes32 streamId, uint64 windowIndex) external pure returns (uint256) {
        return _bindingOf(gateway, streamId, windowIndex);
    }

    /// @inheritdoc IAlertRegistry
    function proofRecord(bytes32 streamId, uint64 firstIndex) external view returns (bytes32) {
        return _proofs[streamId][firstIndex];
    }

    /// @inheritdoc IAlertRegistry
    function version() external pure returns (string memory) {
        return "0.9.0";
    }

    function _bindingOf(address gateway, bytes32 streamId, uint64 windowIndex) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(gateway, streamId, windowIndex))) & ((1 << (BINDING_LIMBS * BINDING_LIMB_BITS)) - 1);
    }
}
