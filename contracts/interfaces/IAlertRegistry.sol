// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOwned2Step} from "./IOwned2Step.sol";

/// @title IAlertRegistry
/// @notice An on-chain log of zk-verified anomaly alerts. Each stream (one sensor feed, one plant
/// unit) is a hash chain: every recorded window extends the stream's head with an alert hash that
/// binds the previous head, the stream, its sequence number, the window's index in the plant's
/// stream, the model, the submitting gateway, the window's input commitment, its anomaly score and
/// the alarm bit.
/// @dev Each window's private input is committed to in one of two ways (fixed per model, see
/// {CommitmentScheme}). Poseidon: the public instances of a model with B windows per proof are
/// `[c_1, ..., c_B, s_1, ..., s_B, b_1, ..., b_B]` (each b_i is BINDING_LIMBS instances, see below),
/// c_i the Poseidon hash of window i's input (a public output of the circuit). KZG: the instances
/// are `[s_1, ..., s_B, b_1, ..., b_B]` and
/// window i's input is committed to by the proof itself: its i-th G1 point (bytes 64(i-1) .. 64i
/// of the proof, uncompressed x || y) is the KZG commitment of the advice column holding the
/// window, and c_i = uint256(keccak256(point)). s_i is the window's anomaly score, a non-negative
/// fixed-point integer; instances are BN254 scalar field elements.
///
/// b_i is the window's binding (see {bindingOf}), written as BINDING_LIMBS instances of
/// BINDING_LIMB_BITS bits each, low limb first: the circuit takes the limbs as more input
/// elements of the window (so c_i commits to them as well, and EZKL's range checks on inputs and
/// outputs hold for them) and makes them public unchanged. It names the gateway, the stream
/// and the window's index, so a proof stands for one index of one stream of one
/// gateway: a proof copied by another gateway, into another stream or to another index is refused.
///
/// The alert hash is a cross-language contract (the Python side recomputes it):
/// `keccak256(abi.encode(bytes32 prevHead, bytes32 streamId, uint64 seq, uint64 windowIndex,
///  bytes32 modelId, address gateway, uint256 inputCommitment, uint256 score, bool alarm))`.
///
/// Every model records the KZG SRS its verifier was generated with, by its SRS id (see {Model}):
/// whoever knows an SRS's secret τ can forge proofs for any circuit on it, so a regulator compares
/// the recorded id, the one the verifier's code embeds, and the SRS it accepts.
///
/// The owner (who registers models and gateways and opens streams) hands the registry over in
/// two steps, see {IOwned2Step}.
interface IAlertRegistry is IOwned2Step {
    /// @notice How a model's proofs commit to each window's private input.
    /// @dev Poseidon: a Poseidon hash in the public instances (EZKL `input_visibility="hashed"`).
    /// Kzg: the KZG commitment of the input's advice column, carried in the proof (EZKL
    /// `"polycommit"`); cheaper to prove, identical privacy (both are deterministic in the window).
    enum CommitmentScheme {
        Poseidon,
        Kzg
    }

    /// @notice A detector model whose proofs the registry accepts.
    /// @param verifier The EZKL Halo2 verifier contract for the model's circuit.
    /// @param threshold Alarm threshold in the circuit's fixed-point units: a window alarms when
    /// its score is >= threshold.
    /// @param windowsPerProof B, the number of windows one proof covers.
    /// @param registeredAt The block number the model was registered in (0 for an unknown model).
    /// @param commitment How proofs commit to each window's input.
    /// @param srs The SRS id of the KZG SRS (structured reference string) the verifier was generated
    /// with: `keccak256(abi.encode(x.c1, x.c0, y.c1, y.c0))` of the SRS's [τ]G2 point, in the
    /// pairing precompile's (EIP-197) word order. The verifier's code embeds that point, so the id
    /// can be checked against the deployed code off-chain; the registry records it as given.
    struct Model {
        address verifier;
        uint256 threshold;
        uint32 windowsPerProof;
        uint64 registeredAt;
        CommitmentScheme commitment;
        bytes32 srs;
    }

    // ---------------------------------------------------------------- errors

    /// @notice The caller is not the owner.
    /// @param caller The account that called.
    error AlertRegistryUnauthorized(address caller);

    /// @notice The zero address was given as owner.
    /// @param owner The rejected owner.
    error AlertRegistryInvalidOwner(address owner);

    /// @notice Only the account the owner offered the registry to may accept it
    /// ({IOwned2Step.acceptOwnership}).
    /// @param caller The account that called.
    /// @param pendingOwner The account the registry is offered to (zero: no offer pending).
    error AlertRegistryNotPendingOwner(address caller, address pendingOwner);

    /// @notice The verifier is the zero address or an account without code.
    /// @param verifier The rejected verifier.
    error AlertRegistryInvalidVerifier(address verifier);

    /// @notice A model must cover at least one window per proof.
    /// @param windowsPerProof The rejected value.
    error AlertRegistryInvalidWindowsPerProof(uint32 windowsPerProof);

    /// @notice The zero model id was given; it is reserved for "no model".
    /// @param modelId The rejected id.
    error AlertRegistryInvalidModelId(bytes32 modelId);

    /// @notice The zero SRS id was given: every model names the SRS its verifier was made with.
    /// @param srs The rejected id.
    error AlertRegistryInvalidSrs(bytes32 srs);

    /// @notice A verifier with the same code (so the same embedded verifying key) is already
    /// registered: one circuit maps to exactly one model, else one proof could be recorded twice,
    /// under two model ids with two thresholds.
    /// @param verifier The rejected verifier.
    /// @param modelId The model that already uses this code.
    error AlertRegistryVerifierInUse(address verifier, bytes32 modelId);

    /// @notice The threshold is not below the BN254 scalar field modulus, so no score (an
    /// instance, always below it) could ever reach it: a model that never alarms.
    /// @param threshold The rejected threshold.
    error AlertRegistryUnreachableThreshold(uint256 threshold);

    /// @notice The model's verifier no longer has the code it was registered with (a contract
    /// redeployed at the same address on a chain that still allows it): its key may differ.
    /// @param modelId The model.
    /// @param verifier Its verifier.
    /// @param codehash The verifier's code hash now.
    error AlertRegistryVerifierChanged(bytes32 modelId, address verifier, bytes32 codehash);

    /// @notice A model with this id is already registered; models are immutable.
    /// @param modelId The duplicate id.
    error AlertRegistryModelExists(bytes32 modelId);

    /// @notice No model with this id is registered.
    /// @param modelId The unknown id.
    error AlertRegistryUnknownModel(bytes32 modelId);

    /// @notice The caller is not an allowed gateway.
    /// @param caller The account that called.
    error AlertRegistryUnknownGateway(address caller);

    /// @notice The stream was never opened (or was closed): only the owner opens a stream, for one
    /// gateway, so nobody can capture a stream by landing the first alert on it.
    /// @param streamId The stream.
    error AlertRegistryStreamNotOpen(bytes32 streamId);

    /// @notice The stream is bound to another gateway (the one the owner opened it for). A proof
    /// copied from the mempool cannot be appended to someone else's stream.
    /// @param streamId The stream.
    /// @param gateway The gateway the stream is bound to.
    /// @param caller The account that called.
    error AlertRegistryStreamGateway(bytes32 streamId, address gateway, address caller);

    /// @notice The number of public instances does not match the model: (2 + BINDING_LIMBS) *
    /// windowsPerProof for Poseidon commitments, (1 + BINDING_LIMBS) * windowsPerProof for KZG.
    /// @param expected The count the model requires.
    /// @param got The count submitted.
    error AlertRegistryInstanceCount(uint256 expected, uint256 got);

    /// @notice A KZG-committed model's proof is too short to hold one G1 point per window.
    /// @param expected The least length, 64 * windowsPerProof bytes.
    /// @param got The proof's length.
    error AlertRegistryProofTooShort(uint256 expected, uint256 got);

    /// @notice A public instance is not a canonical BN254 scalar field element (it is >= r).
    /// @dev Without this check `x` and `x + r` would be two statements for the same field element.
    /// @param index The position of the instance in `instances`.
    /// @param value The instance.
    error AlertRegistryInstanceOutOfField(uint256 index, uint256 value);

    /// @notice `prevHash` is not the stream's current head (a stale or forked submission).
    /// @param expected The stream's current head.
    /// @param got The submitted prevHash.
    error AlertRegistryStalePrevHash(bytes32 expected, bytes32 got);

    /// @notice The verifier rejected the proof (it returned false or reverted).
    /// @param modelId The model whose verifier rejected the proof.
    error AlertRegistryInvalidProof(bytes32 modelId);

    /// @notice A window's binding limbs are not those of {bindingOf} the caller, the stream and the
    /// window's index: the proof was made for another gateway, stream or index (a copied proof).
    /// @param window The window's position in the proof (0-based).
    /// @param expected bindingOf(msg.sender, streamId, firstIndex + window).
    /// @param got The proof's limbs recomposed (sum of limb_k * 2^(28k)).
    error AlertRegistryBindingMismatch(uint256 window, uint256 expected, uint256 got);

    /// @notice The first window's index is not after the stream's last recorded window index.
    /// @param streamId The stream.
    /// @param nextIndex The least index the stream takes now.
    /// @param got The submitted first index.
    error AlertRegistryIndexNotIncreasing(bytes32 streamId, uint64 nextIndex, uint64 got);

    /// @notice The first window's index skips more than {MAX_INDEX_GAP} windows.
    /// @param streamId The stream.
    /// @param nextIndex The least index the stream takes now.
    /// @param got The submitted first index.
    /// @param maxGap The largest skip allowed.
    error AlertRegistryIndexGap(bytes32 streamId, uint64 nextIndex, uint64 got, uint64 maxGap);

    // ---------------------------------------------------------------- events

    /// @notice A model was registered.
    /// @param modelId The model's id.
    /// @param verifier The model's verifier contract.
    /// @param threshold The alarm threshold in fixed-point units.
    /// @param windowsPerProof Windows per proof.
    /// @param commitment How the model's proofs commit to each window's input.
    /// @param srs The SRS id of the SRS the verifier was generated with (see {Model}).
    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed verifier,
        uint256 threshold,
        uint32 windowsPerProof,
        CommitmentScheme commitment,
        bytes32 srs
    );

    /// @notice A gateway was allowed or disallowed.
    /// @param gateway The gateway account.
    /// @param allowed Whether it may submit alerts.
    event GatewaySet(address indexed gateway, bool allowed);

    /// @notice A stream was bound to a gateway by the owner (zero: released, the next gateway to
    /// submit binds it).
    /// @param streamId The stream.
    /// @param previousGateway The gateway it was bound to before.
    /// @param gateway The gateway it is bound to now.
    event StreamGatewaySet(bytes32 indexed streamId, address indexed previousGateway, address indexed gateway);

    /// @notice One window's alert was appended to a stream.
    /// @param streamId The stream.
    /// @param seq The alert's 0-based position in the stream.
    /// @param windowIndex The window's index in the plant's stream (bound into the proof).
    /// @param modelId The model whose proof covered the window.
    /// @param alertHash The alert hash, now the stream's head (until the next window).
    /// @param prevHash The stream's head before this alert.
    /// @param gateway The account that submitted the proof.
    /// @param inputCommitment The window's input commitment: its Poseidon hash, or the keccak256 of
    /// its KZG commitment (see {CommitmentScheme}).
    /// @param score The window's anomaly score in fixed-point units.
    /// @param alarm Whether score >= the model's threshold.
    event AlertRecorded(
        bytes32 indexed streamId,
        uint64 indexed seq,
        bytes32 indexed modelId,
        uint64 windowIndex,
        bytes32 alertHash,
        bytes32 prevHash,
        address gateway,
        uint256 inputCommitment,
        uint256 score,
        bool alarm
    );

    // ---------------------------------------------------------------- owner

    // transferOwnership, acceptOwnership: see {IOwned2Step}

    /// @notice Registers a detector model and its verifier. A model id can be registered once, and
    /// a verifier's code (which embeds its verifying key) under one model id only.
    /// @dev Only the owner. Emits {ModelRegistered}. Reverts with {AlertRegistryVerifierInUse} when a
    /// verifier with the same code hash is registered already, with {AlertRegistryInvalidSrs} for
    /// the zero SRS id.
    /// @param modelId The model's id (e.g. a hash of its circuit settings and verifying key); not zero.
    /// @param verifier The EZKL verifier contract; must have code.
    /// @param threshold The alarm threshold in the circuit's fixed-point units.
    /// @param windowsPerProof B, the number of windows one proof covers; at least 1.
    /// @param commitment How the circuit commits to each window's input; must match the circuit
    /// (a mismatched model accepts no proof: its instance count cannot match).
    /// @param srs The SRS id of the SRS the verifier was generated with (see {Model}); not zero.
    /// The registry cannot check it against the verifier's code: an audit does.
    function registerModel(
        bytes32 modelId,
        address verifier,
        uint256 threshold,
        uint32 windowsPerProof,
        CommitmentScheme commitment,
        bytes32 srs
    ) external;

    /// @notice Allows or disallows a gateway to submit alerts.
    /// @dev Only the owner. Emits {GatewaySet}.
    /// @param gateway The gateway account.
    /// @param allowed Whether it may submit.
    function setGateway(address gateway, bool allowed) external;

    /// @notice Opens a stream for a gateway, hands it to a replacement gateway (or back to its
    /// rightful one), or closes it with the zero address. A stream takes alerts only once opened.
    /// @dev Only the owner. Emits {StreamGatewaySet}. The stream's chain (head, count) is unchanged.
    /// @param streamId The stream.
    /// @param gateway The gateway that may extend it from now on.
    function setStreamGateway(bytes32 streamId, address gateway) external;

    // ---------------------------------------------------------------- gateways

    /// @notice Verifies a proof covering B windows and appends one alert per window to a stream.
    /// @dev Only allowed gateways, and only the gateway the owner opened the stream for (so no
    /// rival can capture a stream by front-running its first alert). Window i of the proof has
    /// index firstIndex + i and its binding limbs must be those of {bindingOf}(msg.sender, streamId,
    /// firstIndex + i), so a proof copied from the mempool by another gateway, into another stream
    /// or to another index is refused. Indexes strictly increase per stream; a skip (windows not
    /// recorded) is allowed up to {MAX_INDEX_GAP} and visible in the events. The verifier is called
    /// with STATICCALL and canonical ABI encoding, whatever encoding the caller used.
    /// Each window's input commitment covers its binding, so a statement `(modelId, c_i, s_i)`, also
    /// re-proven with fresh randomness, holds at one index only, which the stream has passed once it
    /// is recorded: a replay is refused ({AlertRegistryIndexNotIncreasing}, or past it
    /// {AlertRegistryBindingMismatch}). Stores one record per proof ({proofRecord}) and emits
    /// {AlertRecorded} once per window, in window order.
    /// @param streamId The stream to append to.
    /// @param modelId The registered model whose verifier checks the proof.
    /// @param prevHash The stream head the gateway extends; must equal {head} (bytes32(0) for a new
    /// stream).
    /// @param firstIndex The first window's index in the plant's stream.
    /// @param proof The Halo2 proof bytes.
    /// @param instances The public instances: `[c_1, ..., c_B, s_1, ..., s_B, b_1, ..., b_B]`
    /// (Poseidon) or `[s_1, ..., s_B, b_1, ..., b_B]` (KZG), each b_i BINDING_LIMBS limbs.
    /// @return newHead The stream's head after the last window.
    function submitAlert(
        bytes32 streamId,
        bytes32 modelId,
        bytes32 prevHash,
        uint64 firstIndex,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (bytes32 newHead);

    // ---------------------------------------------------------------- views

    // owner, pendingOwner: see {IOwned2Step}

    /// @notice A registered model.
    /// @param modelId The model's id.
    /// @return The model; all fields zero when it is not registered.
    function model(bytes32 modelId) external view returns (Model memory);

    /// @notice Whether an account may submit alerts.
    /// @param gateway The account.
    /// @return True when allowed.
    function isGateway(address gateway) external view returns (bool);

    /// @notice The gateway a stream is bound to.
    /// @param streamId The stream.
    /// @return The gateway; the zero address for a stream nobody has opened or that was released.
    function streamGateway(bytes32 streamId) external view returns (address);

    /// @notice The hash of a stream's latest alert.
    /// @param streamId The stream.
    /// @return The head; bytes32(0) for a stream without alerts.
    function head(bytes32 streamId) external view returns (bytes32);

    /// @notice The number of alerts in a stream.
    /// @param streamId The stream.
    /// @return The count, also the next alert's sequence number.
    function count(bytes32 streamId) external view returns (uint64);

    /// @notice The least window index a stream takes next (0 for a stream without alerts).
    /// @param streamId The stream.
    /// @return The last recorded window index plus one.
    function nextIndex(bytes32 streamId) external view returns (uint64);

    /// @notice A window's binding: what ties a proof to one window index of one stream of one
    /// gateway, the low 140 bits of `keccak256(abi.encode(gateway, streamId, windowIndex))`; the
    /// proof carries it as BINDING_LIMBS limbs of BINDING_LIMB_BITS bits, low limb first.
    /// @dev It names no chain or registry: a gateway may record its own window on two deployments
    /// (a test chain and the plant's), each audited on its own; no other gateway can.
    /// @param gateway The gateway that submits the window.
    /// @param streamId The stream.
    /// @param windowIndex The window's index in the stream.
    /// @return The binding, below 2^140.
    function bindingOf(address gateway, bytes32 streamId, uint64 windowIndex) external pure returns (uint256);

    /// @notice How many instances carry one window's binding.
    /// @return 5.
    function BINDING_LIMBS() external view returns (uint256);

    /// @notice The bits of one binding limb.
    /// @return 28.
    function BINDING_LIMB_BITS() external view returns (uint256);

    /// @notice The largest skip of window indexes one submission may make.
    /// @return The gap bound.
    function MAX_INDEX_GAP() external view returns (uint64);

    /// @notice The record of a proof: the alert hash of its last window.
    /// @dev A proof of B windows recorded from `firstIndex` on stores one record; the alert hashes of
    /// its other windows are in its {AlertRecorded} events, which the hash chain ties to this one.
    /// Window indexes strictly increase per stream, so a first index names at most one proof.
    /// @param streamId The stream.
    /// @param firstIndex The window index of the proof's first window.
    /// @return The alert hash of the proof's last window; bytes32(0) when no proof was recorded from
    /// this index.
    function proofRecord(bytes32 streamId, uint64 firstIndex) external view returns (bytes32);

    /// @notice The implementation's semantic version.
    /// @return The version string.
    function version() external pure returns (string memory);
}
